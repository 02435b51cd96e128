package tools

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/metrics"
)

// BenchmarkCallObserver is the per-call cost of counting a call in the
// metrics: the handler alone, then wrapped as New wraps it when the server
// has metrics (a call record, the outcome, one counter).
//
//	go test -run '^$' -bench CallObserver -benchmem ./tools
func BenchmarkCallObserver(b *testing.B) {
	res := mcp.NewToolResultText("ok")
	handler := func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		rec := recordFrom(ctx)
		rec.describe("github", "GET", "/user")
		rec.observe("github", "GET", "/user", 200, nil)
		return res, nil
	}
	var req mcp.CallToolRequest
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	m := metrics.New(metrics.Options{Tools: Names()})
	for _, bc := range []struct {
		name string
		h    func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)
	}{
		{"bare", handler},
		{"metrics", audited(nil, m.ToolCall, logger, time.Now, ProxyExecuteName, handler)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.h(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
