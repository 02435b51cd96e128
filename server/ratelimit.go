package server

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/time/rate"
)

// rateLimiter holds one token bucket per MCP session, so that one runaway
// agent loop cannot spend the organisation's Composio quota for everyone.
type rateLimiter struct {
	perMinute int
	key       func(context.Context, mcp.CallToolRequest) string
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

func newRateLimiter(perMinute int, key func(context.Context, mcp.CallToolRequest) string) *rateLimiter {
	if key == nil {
		key = func(ctx context.Context, _ mcp.CallToolRequest) string { return sessionKey(ctx) }
	}
	return &rateLimiter{perMinute: perMinute, key: key, buckets: map[string]*rate.Limiter{}}
}

// bucket returns the session's bucket: perMinute calls, refilled evenly over
// a minute, and a full minute's worth available at once.
func (l *rateLimiter) bucket(session string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[session]
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		l.buckets[session] = b
	}
	return b
}

func (l *rateLimiter) forget(session string) {
	l.mu.Lock()
	delete(l.buckets, session)
	l.mu.Unlock()
}

// middleware refuses a tool call past the session's rate with an isError
// result that says when to retry; the call's handler does not run.
func (l *rateLimiter) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		b := l.bucket(l.key(ctx, req))
		if b.Allow() {
			return next(ctx, req)
		}
		r := b.Reserve()
		wait := r.Delay()
		r.Cancel() // only asking when: the refused call takes no token
		secs := int(math.Ceil(wait.Seconds()))
		return &mcp.CallToolResult{
			IsError: true,
			Content: []mcp.Content{mcp.NewTextContent(fmt.Sprintf(
				"Rate limit: this server allows %d tool calls per minute per session, and this call was over it; nothing was sent. Retry in %d s (%s). If you are repeating a call in a loop, stop and reconsider.",
				l.perMinute, secs, time.Now().Add(wait).UTC().Format(time.RFC3339)))},
		}, nil
	}
}

// sessionKey names the MCP session a call belongs to; calls with none (which
// mcp-go does not produce) share one bucket.
func sessionKey(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}
