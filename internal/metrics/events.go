package metrics

import (
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// Outcomes of tool_calls_total.
const (
	// OutcomeOK is a call that succeeded.
	OutcomeOK = "ok"
	// OutcomeError is a call answered with an isError result after
	// something was sent: the API's or Composio's error, or no answer.
	OutcomeError = "error"
	// OutcomeRefused is a call refused before anything was sent: the
	// policy, invalid arguments, a confirmation declined.
	OutcomeRefused = "refused"
	// OutcomeFailed is a call that ended in a Go error: a fault of the
	// server itself.
	OutcomeFailed = "failed"
)

// Eviction reasons of stored_result_evictions_total.
const (
	EvictTTL      = results.EvictTTL
	EvictCapacity = results.EvictCapacity
)

// ToolCall counts a finished tool call. toolkit is what the call named, and
// is bounded to the known set; outcome is an audit.Outcome constant.
func (m *Metrics) ToolCall(tool, toolkit, outcome string) {
	m.toolCalls.WithLabelValues(bounded(tool, m.tools), m.toolkitLabel(toolkit), outcomeLabel(outcome)).Inc()
}

// outcomeLabel folds the audit log's outcomes into the metric's four.
func outcomeLabel(o string) string {
	switch o {
	case audit.OutcomeOK:
		return OutcomeOK
	case audit.OutcomeRejected:
		return OutcomeRefused
	case audit.OutcomeInternalError:
		return OutcomeFailed
	}
	return OutcomeError
}

// operations are the client's operations, the upstream metrics' label.
func operations() []string {
	return []string{
		client.OpProxyExecute, client.OpCreateSession, client.OpGetSession,
		client.OpDeleteSession, client.OpListToolkits, client.OpLink, client.OpOther,
	}
}

// Upstream records one attempt of a request to Composio: its latency, and a
// retry when it was not the first.
func (m *Metrics) Upstream(o client.Observation) {
	op := bounded(o.Op, m.ops)
	m.upstream.WithLabelValues(op, statusClass(o.Status)).Observe(o.Duration.Seconds())
	if o.Attempt > 1 {
		m.retries.WithLabelValues(op).Inc()
	}
}

// statusClass is 2xx, 3xx, 4xx or 5xx, or "error" when no answer came.
func statusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return "error"
}

// RateLimited counts a tool call the rate limit refused.
func (m *Metrics) RateLimited() { m.rateLimited.Inc() }

// SessionsChanged moves the gauge of MCP sessions open.
func (m *Metrics) SessionsChanged(delta int) { m.sessions.Add(float64(delta)) }

// StreamsChanged moves the gauge of event streams open.
func (m *Metrics) StreamsChanged(delta int) { m.streams.Add(float64(delta)) }

// StoredBytes sets the bytes the stored results hold.
func (m *Metrics) StoredBytes(n int64) { m.resultBytes.Set(float64(n)) }

// Evicted counts a stored result dropped unread, for reason (EvictTTL,
// EvictCapacity; anything else counts as "other").
func (m *Metrics) Evicted(reason string) {
	m.evictions.WithLabelValues(bounded(reason, []string{EvictTTL, EvictCapacity})).Inc()
}

// storeOps are the parts of the server that store_errors_total names: what
// a failed store command was for.
func storeOps() []string {
	return []string{"results", "ratelimit", "session", "replay", "ping"}
}

// StoreError counts a failed command on the shared store by its operation,
// "area.command" or "area-command" (results.keep, session-lock, …) or a
// bare area: the label is the area (results, ratelimit, session, replay,
// ping), and anything else counts as "other".
func (m *Metrics) StoreError(op string) {
	area := op
	if i := strings.IndexAny(op, ".-"); i >= 0 {
		area = op[:i]
	}
	m.storeErrors.WithLabelValues(bounded(area, m.areas)).Inc()
}

// bounded is v when it is one of known, else "other".
func bounded(v string, known []string) string {
	if slices.Contains(known, v) {
		return v
	}
	return "other"
}
