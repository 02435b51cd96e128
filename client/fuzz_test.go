package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// FuzzCheckResponse feeds CheckResponse whatever a broken or hostile server might send.
// Seeds beyond these live in testdata/fuzz/FuzzCheckResponse and run in every go test.
func FuzzCheckResponse(f *testing.F) {
	f.Add(400, []byte(`{"error":{"message":"m","code":4302,"slug":"ToolRouterV2_NoActiveConnection","errors":["a",{"b":1}]}}`), "")
	f.Add(429, []byte(`{"message":"Rate limit exceeded"}`), "2")
	f.Add(429, []byte(``), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(502, []byte("<html>\xff\xfe bad gateway</html>"), "1e400")
	f.Add(200, []byte(`not even json`), "")
	f.Add(-1, []byte(`{"error":"x"}`), "NaN")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		r := &http.Response{
			StatusCode: status,
			Header:     http.Header{"Retry-After": {retryAfter}},
			Body:       io.NopCloser(bytes.NewReader(body)),
		}
		err := CheckResponse(r)
		if status >= 200 && status <= 299 {
			if err != nil {
				t.Fatalf("CheckResponse(%d) = %v, want nil", status, err)
			}
			return
		}
		e, ok := err.(*APIError)
		if !ok {
			t.Fatalf("CheckResponse(%d) = %#v, want *APIError", status, err)
		}
		if e.HTTPStatus != status {
			t.Errorf("HTTPStatus = %d, want %d", e.HTTPStatus, status)
		}
		if len(e.Body) > maxErrorBodyKept {
			t.Errorf("Body is %d bytes, want ≤ %d", len(e.Body), maxErrorBodyKept)
		}
		for _, s := range append([]string{e.Message, string(e.Code), e.Slug, e.RequestID, e.SuggestedFix, e.Body, e.Error()}, e.Errors...) {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8 in %q", s)
			}
		}
		if e.RetryAfter < 0 {
			t.Errorf("RetryAfter = %s, want ≥ 0", e.RetryAfter)
		}
		if status == http.StatusTooManyRequests && e.Slug == "" {
			t.Error("a 429 without a slug")
		}
	})
}

// fuzzBodyParam carries the body FuzzDecodeProxyResponse wants answered, base64 in a
// request parameter, so that one stateless server serves every fuzz input.
const fuzzBodyParam = "x-fuzz-body"

// FuzzDecodeProxyResponse sends ProxyExecute an arbitrary 200 body: it must return a
// response or an error, never panic, never both.
func FuzzDecodeProxyResponse(f *testing.F) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req ProxyRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Parameters) != 1 {
			http.Error(w, "bad fuzz request", http.StatusBadRequest)
			return
		}
		body, err := base64.StdEncoding.DecodeString(req.Parameters[0].Value)
		if err != nil {
			http.Error(w, "bad fuzz body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	f.Cleanup(srv.Close)
	c, err := New(WithAPIKey(testAPIKey), WithBaseURL(srv.URL), WithMaxResponseBytes(1<<20))
	if err != nil {
		f.Fatal(err)
	}

	f.Add([]byte(`{"data":{"id":"123"},"status":200,"headers":{"content-type":"application/json"}}`))
	f.Add([]byte(`{"data":{},"binary_data":{"url":"https://x/f","size":"12"},"status":200}`))
	f.Add([]byte(`{"data":"plain","status":"404","headers":{"a":[1,"b"],"c":null}}`))
	f.Add([]byte(`{"status":200,"data":{"items":[1,2`))
	f.Add([]byte(`<html>captive portal</html>`))
	f.Add([]byte(``))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET", Parameters: []Parameter{
			{Name: fuzzBodyParam, Value: base64.StdEncoding.EncodeToString(body), Type: "header"},
		}}
		resp, err := c.ProxyExecute(context.Background(), "trs_test", req)
		if (resp == nil) == (err == nil) {
			t.Fatalf("ProxyExecute = %v, %v: want exactly one of a response and an error", resp, err)
		}
		if err != nil {
			return
		}
		if resp.HTTPStatus != http.StatusOK || resp.Attempts != 1 {
			t.Errorf("HTTPStatus, Attempts = %d, %d; want 200, 1", resp.HTTPStatus, resp.Attempts)
		}
		if resp.Data != nil && !json.Valid(resp.Data) {
			t.Errorf("Data is not valid JSON: %q", resp.Data)
		}
	})
}
