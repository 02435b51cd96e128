package server

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/time/rate"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/logging"
)

// Limiter decides whether a call of key is within its allowance: ok, or
// refused with how long until the next call would be allowed. The server's
// own is a token bucket per key in memory; a fleet's is kept in a shared
// store, and may fail (err), which lets the call through.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// rateGate refuses the tool calls a Limiter does not allow, before their
// handler runs.
type rateGate struct {
	perMinute int
	limiter   Limiter
	key       func(context.Context, mcp.CallToolRequest) string
	unit      string // what a key names, for the refusal: "session" or "caller"
	log       *slog.Logger
	warn      *rate.Sometimes // store faults are logged once per interval
	refused   func()          // told of each refusal; nil: no one
}

func newRateGate(perMinute int, lim Limiter, key func(context.Context, mcp.CallToolRequest) string, log *slog.Logger) *rateGate {
	unit := "caller" // a key function names callers
	if key == nil {
		key = func(ctx context.Context, _ mcp.CallToolRequest) string { return sessionKey(ctx) }
		unit = "session"
	}
	return &rateGate{perMinute: perMinute, limiter: lim, key: key, unit: unit, log: log, warn: &rate.Sometimes{Interval: logging.StoreWarnEvery}}
}

// middleware refuses a tool call past the key's rate with an isError result
// that says when to retry; the call's handler does not run. A limiter that
// fails lets the call through: the limit guards quota, not access, so a
// store that is down must not stop every call.
func (g *rateGate) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ok, wait, err := g.limiter.Allow(ctx, g.key(ctx, req))
		if err != nil {
			g.warn.Do(func() {
				g.log.WarnContext(ctx, "rate limit not applied: the store did not answer, so calls go ahead unlimited until it does", "err", err)
			})
			return next(ctx, req)
		}
		if ok {
			return next(ctx, req)
		}
		if g.refused != nil {
			g.refused()
		}
		secs := int(math.Ceil(wait.Seconds()))
		return &mcp.CallToolResult{
			IsError: true,
			Content: []mcp.Content{mcp.NewTextContent(fmt.Sprintf(
				"Rate limit: this server allows %d tool calls per minute per %s, and this call was over it; nothing was sent. Retry in %d s (%s). If you are repeating a call in a loop, stop and reconsider.",
				g.perMinute, g.unit, secs, time.Now().Add(wait).UTC().Format(time.RFC3339)))},
		}, nil
	}
}
