package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func TestRateLimitPerSession(t *testing.T) {
	t.Parallel()
	var ran int
	tool := server.ServerTool{
		Tool: mcp.NewTool("count"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			ran++
			return mcp.NewToolResultText("ok"), nil
		},
	}
	s := New(Options{Name: "t", Version: "0", RateLimit: 3}, tool)
	ctx := context.Background()
	connect := func() *client.Client { return inProcessClient(t, s) }
	callOnce := func(c *client.Client) *mcp.CallToolResult {
		var req mcp.CallToolRequest
		req.Params.Name = "count"
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := connect()
	for i := range 3 {
		if res := callOnce(a); res.IsError {
			t.Fatalf("call %d refused: %+v", i, res.Content)
		}
	}
	res := callOnce(a)
	if !res.IsError {
		t.Fatal("4th call in a minute was not refused")
	}
	txt := res.Content[0].(mcp.TextContent).Text
	for _, w := range []string{"3 tool calls per minute", "nothing was sent", "Retry in 20 s"} {
		if !strings.Contains(txt, w) {
			t.Errorf("refusal lacks %q: %s", w, txt)
		}
	}
	if ran != 3 {
		t.Errorf("handler ran %d times, want 3", ran)
	}
	// Another session has its own bucket.
	if res := callOnce(connect()); res.IsError {
		t.Errorf("a second session was limited by the first: %+v", res.Content)
	}
}

func TestRateLimitKeyedByCaller(t *testing.T) {
	t.Parallel()
	s := New(Options{Name: "t", Version: "0", RateLimit: 1,
		RateLimitKey: func(context.Context, mcp.CallToolRequest) string { return "same caller" }},
		server.ServerTool{Tool: mcp.NewTool("noop"), Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		}})
	ctx := context.Background()
	var refused int
	for range 2 {
		// A new session each time, as on a stateless transport.
		c := inProcessClient(t, s)
		var req mcp.CallToolRequest
		req.Params.Name = "noop"
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.IsError {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d of 2 calls refused, want 1: the key, not the session, picks the bucket", refused)
	}
}

// A flood of new keys, as made-up credentials on a multi-tenant server make,
// never holds more than maxBuckets buckets; buckets idle long enough to be
// full again are dropped; and a drained bucket that is still in use keeps
// its debt while fewer than maxBuckets other keys come and go.
func TestRateLimitBucketsBounded(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(5)
	clock := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return clock }

	drained := l.bucket("victim")
	for drained.Allow() {
	}
	for i := range 100_000 {
		l.bucket(fmt.Sprintf("junk-%d", i))
		if i%(maxBuckets/2) == 0 {
			// The victim keeps calling, so stays recent.
			if l.bucket("victim").Allow() {
				t.Fatalf("after %d junk keys the drained bucket was fresh again", i)
			}
		}
	}
	if n := l.len(); n > maxBuckets {
		t.Fatalf("%d buckets held after 100,000 keys, want at most %d", n, maxBuckets)
	}

	// A minute idle: every bucket is full again, so none need be held.
	clock = clock.Add(time.Minute)
	l.bucket("next")
	if n := l.len(); n != 1 {
		t.Errorf("%d buckets held after a minute idle, want 1", n)
	}
	// Idle for less than the refill time: kept.
	clock = clock.Add(59 * time.Second)
	l.bucket("other")
	if n := l.len(); n != 2 {
		t.Errorf("%d buckets held, want 2", n)
	}
}

// A drained bucket is never dropped while it is in debt, however many new
// keys arrive: past maxBuckets they share one overflow bucket, so a flood of
// made-up keys cannot reset a caller's limit, and limits itself.
func TestRateLimitFloodCannotEvictDrainedBucket(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(5)
	clock := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return clock }

	drained := l.bucket("victim")
	for drained.Allow() {
	}
	// The victim then waits, making the least recently used bucket, while
	// 100,000 new keys arrive within the minute.
	clock = clock.Add(time.Second)
	allowed := 0
	for i := range 100_000 {
		if l.bucket(fmt.Sprintf("junk-%d", i)).Allow() {
			allowed++
		}
	}
	if n := l.len(); n > maxBuckets {
		t.Fatalf("%d buckets held, want at most %d", n, maxBuckets)
	}
	if l.bucket("victim").Allow() {
		t.Fatal("after a flood of new keys the drained bucket was fresh again")
	}
	// maxBuckets-1 junk keys got buckets of their own; the rest shared one.
	if want := (maxBuckets-1)*5 + 5; allowed > want {
		t.Errorf("%d junk calls allowed, want at most %d", allowed, want)
	}
}

// failingLimiter is a store that does not answer.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("store unavailable (ratelimit): connection refused")
}

func gateClient(t *testing.T, o Options) *client.Client {
	t.Helper()
	return inProcessClient(t, New(o, server.ServerTool{Tool: mcp.NewTool("noop"), Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}}))
}

// inProcessClient is an initialized client of s; the test's cleanup closes
// it.
func inProcessClient(t *testing.T, s *Server) *client.Client {
	t.Helper()
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
	var log bytes.Buffer // written by the handler, read once every call has returned
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
