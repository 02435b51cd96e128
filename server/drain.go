package server

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// inflight counts the tool calls running in one MCP server, so that a
// graceful shutdown can wait for them. HTTP-level draining is not enough:
// over SSE a call's answer travels on the long-lived event stream, not on the
// POST that carried the call.
type inflight struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed while n == 0
}

func newInflight() *inflight {
	z := make(chan struct{})
	close(z)
	return &inflight{zero: z}
}

func (f *inflight) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		f.mu.Lock()
		if f.n == 0 {
			f.zero = make(chan struct{})
		}
		f.n++
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.n--
			if f.n == 0 {
				close(f.zero)
			}
			f.mu.Unlock()
		}()
		return next(ctx, req)
	}
}

// running reports how many calls are running.
func (f *inflight) running() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// wait returns when no call is running or ctx is done.
func (f *inflight) wait(ctx context.Context) {
	f.mu.Lock()
	z := f.zero
	f.mu.Unlock()
	select {
	case <-z:
	case <-ctx.Done():
	}
}
