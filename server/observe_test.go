package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// countingObserver counts what an Observer is told.
type countingObserver struct{ refused, sessions, streams atomic.Int64 }

func (o *countingObserver) RateLimited()          { o.refused.Add(1) }
func (o *countingObserver) SessionsChanged(d int) { o.sessions.Add(int64(d)) }
func (o *countingObserver) StreamsChanged(d int)  { o.streams.Add(int64(d)) }

func (o *countingObserver) get() (refused, sessions, streams int) {
	return int(o.refused.Load()), int(o.sessions.Load()), int(o.streams.Load())
}

// Over streamable HTTP: a session counts from initialize to DELETE, a GET
// stream while it is open, a call over the rate limit when it is refused;
// /metrics is behind the guard's token.
func TestObserverIsToldOfSessionsStreamsAndRefusals(t *testing.T) {
	t.Parallel()
	obs := &countingObserver{}
	tool := server.ServerTool{Tool: mcp.NewTool("t"), Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}}
	s := New(Options{Name: "t", Version: "0", RateLimit: 1, Observer: obs}, tool)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "metric 1\n") })
	h, shutdown, err := handler(s, HTTPOptions{Transport: TransportHTTP, Guard: Guard{Token: "tok"}, Metrics: Metrics{Handler: metrics}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	do := func(method, path, id, token, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		if id != "" {
			req.Header.Set("Mcp-Session-Id", id)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := do("GET", "/metrics", "", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d, want 401", resp.StatusCode)
	}
	resp := do("GET", "/metrics", "", "tok", "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "metric 1\n" {
		t.Errorf("GET /metrics with the token: %d %q", resp.StatusCode, b)
	}
	resp = do("POST", "/mcp", "", "tok", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`)
	resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if _, sessions, _ := obs.get(); id == "" || sessions != 1 {
		t.Fatalf("after initialize: session %q, %d sessions observed, want 1", id, sessions)
	}
	for i := range 3 {
		do("POST", "/mcp", id, "tok", fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"t"}}`, i+2)).Body.Close()
	}
	if refused, _, _ := obs.get(); refused != 2 {
		t.Errorf("%d refusals observed, want 2", refused)
	}
	stream := do("GET", "/mcp", id, "tok", "")
	waitFor(t, func() bool { _, _, n := obs.get(); return n == 1 }, "the open stream")
	stream.Body.Close()
	waitFor(t, func() bool { _, _, n := obs.get(); return n == 0 }, "the stream closed")
	do("DELETE", "/mcp", id, "tok", "").Body.Close()
	waitFor(t, func() bool { _, n, _ := obs.get(); return n == 0 }, "the session deleted")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never observed: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The metrics listener serves /metrics alone, without a token, and logs its
// URL; a bare port would not get here (config makes it loopback).
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "metric 1\n") })
	stop, err := serveMetrics(t.Context(), Metrics{Handler: metrics, Listen: "127.0.0.1:0"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	mu.Lock()
	url := regexp.MustCompile(`url=(\S+)`).FindStringSubmatch(logs.String())
	warned := strings.Contains(logs.String(), "WARN")
	mu.Unlock()
	if url == nil || warned {
		t.Fatalf("log: %s", logs.String())
	}
	resp, err := http.Get(url[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "metric 1\n" {
		t.Errorf("GET %s: %d %q", url[1], resp.StatusCode, b)
	}
	resp, err = http.Get(strings.TrimSuffix(url[1], "/metrics") + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /mcp on the metrics listener: %d, want 404", resp.StatusCode)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
