package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// TestIdleSessionStateIsReleased: a session dropped for idleness is gone from
// the MCP server too (its registration and stores), not only from the table.
func TestIdleSessionStateIsReleased(t *testing.T) {
	s := New(Options{Name: "t", Version: "0"})
	h, shutdown, err := handler(s, HTTPOptions{Transport: TransportHTTP, SessionIdleTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer shutdown(t.Context())
	req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if id == "" {
		t.Fatalf("initialize: status %d, no session id", resp.StatusCode)
	}
	if err := s.mcp.SendNotificationToSpecificClient(id, "notifications/message", nil); errors.Is(err, server.ErrSessionNotFound) {
		t.Fatal("the new session is not registered")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.mcp.SendNotificationToSpecificClient(id, "notifications/message", nil)
		if errors.Is(err, server.ErrSessionNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle session still registered with the MCP server: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
