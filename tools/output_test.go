package tools

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// TestMarshalOutputMatchesJSONMarshal holds marshalOutput to json.Marshal's
// bytes, on its fast path and its fallbacks.
func TestMarshalOutputMatchesJSONMarshal(t *testing.T) {
	t.Parallel()
	bd := &binaryOutput{URL: "https://s.test/f?a=1&b=<2>", ContentType: "application/pdf", Size: 5, ExpiresAt: "2026-01-01T00:00:00Z"}
	for _, data := range []string{
		`{"login":"octo","id":1,"tags":["a","b"],"n":null}`,
		`"plain text"`, `[]`, `{}`, `0`, `-1.5e3`, `true`, `null`,
		`{"html":"\u003cb\u003e"}`,
		`{"html":"<b>&"}`,                // escaped by encoding/json: fallback
		"{\"sep\":\"\u2028\"}",           // likewise
		`{ "spaced" : [ 1 , 2 ] }`,       // re-compacted: fallback
		"{\"bad\":\"\xff\xfe\"}",         // invalid UTF-8 passes through both
		`{"esc":"quote \" back \\ end"}`, // escapes inside strings
		``,
	} {
		for _, out := range []proxyOutput{
			{Status: 200, Data: json.RawMessage(data)},
			{Status: 404, Data: json.RawMessage(data), Headers: map[string]string{"content-type": "application/json", "x-a": "<"}},
			{Status: -7, Data: json.RawMessage(data), BinaryData: bd},
			{Status: 0, Data: json.RawMessage(data), Headers: map[string]string{}, BinaryData: bd},
		} {
			want, wantErr := json.Marshal(out)
			got, err := marshalOutput(out)
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Errorf("marshalOutput(%+v):\n got %s, %v\nwant %s, %v", out, got, err, want, wantErr)
			}
		}
	}
}

func FuzzMarshalOutput(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c"}]}`), 200, "k", "v")
	f.Add([]byte(`"x\u003cy"`), 404, "", "")
	f.Fuzz(func(t *testing.T, data []byte, status int, hk, hv string) {
		if !json.Valid(data) {
			return
		}
		out := proxyOutput{Status: status, Data: data}
		if hk != "" {
			out.Headers = client.Headers{hk: hv}
		}
		want, wantErr := json.Marshal(out)
		got, err := marshalOutput(out)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("marshalOutput:\n got %s, %v\nwant %s, %v", got, err, want, wantErr)
		}
	})
}
