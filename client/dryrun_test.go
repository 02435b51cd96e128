package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestNewProxyRequestIsWhatProxyExecuteSends: the request built without
// sending has the URL, headers and body bytes of the one ProxyExecute sends.
func TestNewProxyRequestIsWhatProxyExecuteSends(t *testing.T) {
	t.Parallel()
	var sent *http.Request
	var sentBody []byte
	s := newScripted(t, []step{func(w http.ResponseWriter, r *http.Request) {
		sent = r.Clone(context.Background())
		okStep(w, r)
	}}, WithUserAgent("dry/1"))
	call := &ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "POST", Body: []byte(`{"b":"<&>","a":1}`),
		Parameters: []Parameter{{Name: "q", Value: "ü", Type: "query"}}}

	built, err := s.c.NewProxyRequest(context.Background(), "trs_1", call)
	if err != nil {
		t.Fatal(err)
	}
	if s.hits.Load() != 0 {
		t.Fatal("NewProxyRequest sent the request")
	}
	rc, err := built.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	builtBody, _ := io.ReadAll(rc)

	if _, err := s.c.ProxyExecute(context.Background(), "trs_1", call); err != nil {
		t.Fatal(err)
	}
	sentBody = s.bodies[0]
	if !bytes.Equal(builtBody, sentBody) {
		t.Errorf("built body %s, sent %s", builtBody, sentBody)
	}
	if built.Method != sent.Method || built.URL.Path != sent.URL.Path || built.URL.Host != sent.Host {
		t.Errorf("built %s %s, sent %s %s%s", built.Method, built.URL, sent.Method, sent.Host, sent.URL.Path)
	}
	for k, v := range built.Header {
		if got := sent.Header.Values(k); !equalStrings(got, v) {
			t.Errorf("header %s: built %q, sent %q", k, v, got)
		}
	}
	if built.ContentLength != int64(len(sentBody)) {
		t.Errorf("content length %d, body %d bytes", built.ContentLength, len(sentBody))
	}
	if _, err := s.c.NewProxyRequest(context.Background(), "..", call); err == nil {
		t.Error("a bad session id was accepted")
	}
	if _, err := s.c.NewProxyRequest(context.Background(), "trs_1", nil); err == nil {
		t.Error("a nil request was accepted")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRetryObserver: the context's observer hears of each wait before a
// retry, with whether Composio asked for it.
func TestRetryObserver(t *testing.T) {
	t.Parallel()
	s := newScripted(t, []step{
		answer(429, `{"error":{"message":"slow down"}}`, "Retry-After", "2"),
		answer(503, `{"error":{"message":"down"}}`),
		okStep,
	}, WithMaxRetries(2))
	var seen []Retry
	ctx := WithRetryObserver(context.Background(), func(r Retry) { seen = append(seen, r) })
	if _, err := s.c.ProxyExecute(ctx, "trs_1", req(http.MethodGet)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("observed %+v", seen)
	}
	if seen[0].Attempt != 1 || seen[0].Wait != 2*time.Second || !seen[0].RetryAfter {
		t.Errorf("first wait = %+v", seen[0])
	}
	var apiErr *APIError
	if seen[1].Attempt != 2 || seen[1].RetryAfter || !errors.As(seen[1].Err, &apiErr) || apiErr.HTTPStatus != 503 {
		t.Errorf("second wait = %+v", seen[1])
	}
	// Without an observer nothing changes.
	if _, err := s.c.ProxyExecute(context.Background(), "trs_1", req(http.MethodGet)); err != nil {
		t.Fatal(err)
	}
}
