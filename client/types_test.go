package client

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHeadersUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Headers
	}{
		{`{"a":"1"}`, Headers{"a": "1"}},
		{`{"n":42,"b":true,"l":["x","y"],"o":{"k":1},"z":null}`, Headers{"n": "42", "b": "true", "l": "x, y", "o": `{"k":1}`, "z": ""}},
		{`null`, nil},
	}
	for _, tt := range tests {
		var h Headers
		if err := json.Unmarshal([]byte(tt.in), &h); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.in, h, tt.want)
		}
	}
	var h Headers
	if err := json.Unmarshal([]byte(`["not","a","map"]`), &h); err == nil {
		t.Error("an array decoded as Headers")
	}
}

func TestCodeUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Code
		wantErr bool
	}{
		{`4302`, "4302", false},
		{`"OriginMismatch"`, "OriginMismatch", false},
		{`10429.0`, "10429.0", false},
		{`null`, "", false},
		{`{"x":1}`, "", true},
		{`true`, "", true},
	}
	for _, tt := range tests {
		var c Code
		err := json.Unmarshal([]byte(tt.in), &c)
		if (err != nil) != tt.wantErr || c != tt.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", tt.in, c, err, tt.want, tt.wantErr)
		}
	}
}

func TestProxyResponseRoundTrip(t *testing.T) {
	t.Parallel()
	in := `{"data":{},"binary_data":{"url":"https://x/f.pdf","content_type":"application/pdf","size":12,"expires_at":"2026-01-01T00:00:00Z"},"status":200,"headers":{"content-type":"application/pdf"}}`
	var r ProxyResponse
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.BinaryData == nil || r.BinaryData.Size != 12 || string(r.Data) != "{}" {
		t.Errorf("decoded %+v", r)
	}
	r.HTTPStatus, r.RequestID = 200, "req_1"
	out, _ := json.Marshal(r)
	if string(out) != in {
		t.Errorf("re-encoded\n%s\nwant\n%s", out, in)
	}
}

func TestErrorStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{HTTPStatus: 400, Slug: SlugNoActiveConnection, Code: "4302", Message: "no connection"},
			"composio: HTTP 400 ToolRouterV2_NoActiveConnection (code 4302): no connection"},
		{&APIError{HTTPStatus: 502, Body: "<html>"}, "composio: HTTP 502: <html>"},
		{&TimeoutError{After: 50 * time.Second}, "composio: no answer within 50s"},
		{&ResponseTooLargeError{Limit: 10}, "composio: response body larger than 10 bytes"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if (&APIError{Slug: "x"}).Is(&APIError{}) {
		t.Error("an empty target slug matched")
	}
	if !strings.Contains((&APIError{HTTPStatus: 429}).Error(), "429") {
		t.Error("status missing")
	}
}
