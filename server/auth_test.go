package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

type callerKey struct{}

// whoTool answers with the caller its context holds.
func whoTool() server.ServerTool {
	return server.ServerTool{
		Tool: mcp.NewTool("who"),
		Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			v, _ := ctx.Value(callerKey{}).(string)
			return mcp.NewToolResultText("caller=" + v), nil
		},
	}
}

// callerAuth is an Auth taking the caller from X-Caller, refusing a request
// without one.
func callerAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Caller") == "" {
			http.Error(w, "no caller", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, r.Header.Get("X-Caller"))))
	})
}

// HTTPOptions.Auth runs before the guard and the transport, what it puts in
// the request's context reaches the tools through ContextFunc, and Routes are
// served behind the guard but not Auth.
func TestAuthContextAndRoutes(t *testing.T) {
	t.Parallel()
	s := New(Options{Name: "t", Version: "0"}, whoTool())
	auth := callerAuth
	h, shutdown, err := handler(s, HTTPOptions{
		Transport: TransportHTTP, Stateless: true, Auth: auth,
		ContextFunc: func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, callerKey{}, r.Context().Value(callerKey{}))
		},
		Routes: map[string]http.Handler{"GET /open": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "open") })},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t.Context())
	srv := httptest.NewServer(h)
	defer srv.Close()
	send := func(method, path, body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"who","arguments":{}}}`
	if code, _ := send("POST", "/mcp", call, nil); code != 401 {
		t.Errorf("without a caller: %d", code)
	}
	if code, body := send("POST", "/mcp", call, map[string]string{"X-Caller": "alice"}); code != 200 || !strings.Contains(body, "caller=alice") {
		t.Errorf("with a caller: %d %s", code, body)
	}
	if code, body := send("GET", "/open", "", nil); code != 200 || body != "open" {
		t.Errorf("route: %d %s", code, body)
	}
	if code, _ := send("GET", "/open", "", map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Errorf("route from a foreign origin: %d", code)
	}
}
