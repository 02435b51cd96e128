package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// GET /readyz answers without the bearer token, 503 while Ready fails, and
// never repeats what Ready said; other methods are refused.
func TestReadyz(t *testing.T) {
	t.Parallel()
	var down error
	s := New(Options{Name: "t", Version: "0"})
	h, shutdown, err := handler(s, HTTPOptions{
		Transport: TransportHTTP, Guard: Guard{Token: "tok"},
		Ready: func(context.Context) error { return down },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer shutdown(t.Context())
	get := func(method string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("GET"); code != 200 || body != "ready\n" {
		t.Errorf("ready: %d %q", code, body)
	}
	down = errors.New("store unavailable (ping): dial tcp redis://:hunter2@10.0.0.1:6379")
	if code, body := get("GET"); code != 503 || body != "not ready: results store unavailable\n" {
		t.Errorf("store down: %d %q", code, body)
	}
	if code, _ := get("POST"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz: %d", code)
	}
}
