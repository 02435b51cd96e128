package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// failingLimiter is a store that does not answer.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("store unavailable (ratelimit): connection refused")
}

// lockedBuffer is a log destination safe for the handlers' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func gateClient(t *testing.T, o Options) *client.Client {
	t.Helper()
	s := New(o, server.ServerTool{Tool: mcp.NewTool("noop"), Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}})
	c, err := client.NewInProcessClient(s.mcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

func callNoop(t *testing.T, c *client.Client) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = "noop"
	res, err := c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A limiter that fails lets every call through, and says so in one log line,
// not one per call.
func TestRateLimitFailsOpen(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	c := gateClient(t, Options{Name: "t", Version: "0", RateLimit: 1, Limiter: failingLimiter{},
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for i := range 5 {
		if res := callNoop(t, c); res.IsError {
			t.Fatalf("call %d refused with the store down: %+v", i, res.Content)
		}
	}
	if n := strings.Count(log.String(), "rate limit not applied"); n != 1 {
		t.Errorf("%d warnings for 5 calls, want 1:\n%s", n, log.String())
	}
}

// refusingLimiter refuses every call, for a minute.
type refusingLimiter struct{}

func (refusingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 42 * time.Second, nil
}

// A limiter's refusal is the server's one text, with its wait.
func TestRateLimitLimiterRefusal(t *testing.T) {
	t.Parallel()
	c := gateClient(t, Options{Name: "t", Version: "0", RateLimit: 7, Limiter: refusingLimiter{},
		RateLimitKey: func(context.Context, mcp.CallToolRequest) string { return "k" }})
	res := callNoop(t, c)
	txt := res.Content[0].(mcp.TextContent).Text
	if !res.IsError || !strings.Contains(txt, "7 tool calls per minute per caller") || !strings.Contains(txt, "Retry in 42 s") {
		t.Errorf("refusal: %v %s", res.IsError, txt)
	}
}
