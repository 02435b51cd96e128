package metrics

import (
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
)

// The cost of each event on a call's path; they report, and assert nothing.
//
//	go test -run '^$' -bench . -benchmem ./internal/metrics
func BenchmarkToolCall(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.ToolCall("proxy_execute", "github", audit.OutcomeOK)
	}
}

func BenchmarkUpstream(b *testing.B) {
	m := New(Options{})
	o := client.Observation{Op: client.OpProxyExecute, Attempt: 1, Status: 200, Duration: 40 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.Upstream(o)
	}
}
