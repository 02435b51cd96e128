package server

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An SSE session belongs to the caller that opened its stream: another
// caller who learns its id (it travels in a URL) gets 404 for a POST to
// /message, as for an unknown session, and nothing of his reaches the
// stream; the owner's own calls still do.
func TestSSESessionBoundToCaller(t *testing.T) {
	t.Parallel()
	s := New(Options{Name: "t", Version: "0"}, whoTool())
	auth := callerAuth
	h, shutdown, err := handler(s, HTTPOptions{
		Transport: TransportSSE, Auth: auth,
		ContextFunc: func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, callerKey{}, r.Context().Value(callerKey{}))
		},
		CallerID: func(r *http.Request) string { v, _ := r.Context().Value(callerKey{}).(string); return v },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t.Context())
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/sse", nil)
	req.Header.Set("X-Caller", "alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewScanner(resp.Body)
	next := func(want string) string {
		t.Helper()
		for events.Scan() {
			if l := events.Text(); strings.HasPrefix(l, "data: ") && strings.Contains(l, want) {
				return strings.TrimPrefix(l, "data: ")
			}
		}
		t.Fatalf("the stream ended before %q: %v", want, events.Err())
		return ""
	}
	endpoint := next("sessionId=")
	post := func(caller, path, body string) int {
		r, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Caller", caller)
		rr, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		rr.Body.Close()
		return rr.StatusCode
	}
	post("alice", endpoint, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"a","version":"0"}}}`)
	post("alice", endpoint, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	call := func(id string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"who","arguments":{}}}`
	}
	if code := post("bob", endpoint, call("7")); code != http.StatusNotFound {
		t.Errorf("bob's POST to alice's session: %d, want 404", code)
	}
	if code := post("bob", "/message?sessionId=made-up", call("8")); code != http.StatusNotFound {
		t.Errorf("an unknown session: %d, want 404", code)
	}
	if code := post("alice", endpoint, call("9")); code != http.StatusAccepted {
		t.Errorf("alice's own call: %d", code)
	}
	// Up to alice's answer, nothing of bob's reached her stream.
	for {
		got := next(`"id":`)
		if strings.Contains(got, "caller=bob") {
			t.Fatalf("bob's answer on alice's stream: %s", got)
		}
		if strings.Contains(got, `"id":9`) {
			if !strings.Contains(got, "caller=alice") {
				t.Errorf("alice's answer: %s", got)
			}
			return
		}
	}
}
