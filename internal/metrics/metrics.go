// Package metrics holds the server's Prometheus metrics: one Metrics per
// process, with a registry of its own, fed by the hooks of the tools, the
// Composio client, the transports and the result store, and served as
// Prometheus text by Handler.
//
// Every label takes its values from a fixed set this package knows, never
// from what a caller sent: a toolkit outside the known set is "other", an
// operation or status is one of a few classes. So no label can carry a
// secret, a user id, an endpoint or its query, and a caller cannot grow the
// number of series.
//
//	m := metrics.New(metrics.Options{Toolkits: []string{"github"}, Tools: tools.Names()})
//	m.ToolCall("proxy_execute", "github", audit.OutcomeOK)
//	http.Handle("/metrics", m.Handler())
package metrics

import (
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every series of the server's own.
const namespace = "composio_mcp"

// Options configures New.
type Options struct {
	// Toolkits are the toolkit slugs a tool call's toolkit label may name
	// (the server's --allow-toolkits); nil means WellKnownToolkits. Any other
	// toolkit is counted as OtherToolkit.
	Toolkits []string
	// Tools are the names a tool call's tool label may take: the server's
	// tool registry (tools.Names). Any other name is counted as "other".
	Tools []string
}

// OtherToolkit is the toolkit label of a call whose toolkit is outside the
// known set.
const OtherToolkit = "other"

// Metrics is the server's metrics and the registry that serves them. Its
// methods are safe for concurrent use, and each is a few atomic operations:
// they run on the calls' own goroutines.
type Metrics struct {
	reg      *prometheus.Registry
	toolkits map[string]string // lower-case slug → its label
	// The fixed label values of tools, upstream operations and store areas,
	// made once: an event only looks its value up.
	tools, ops, areas []string

	toolCalls   *prometheus.CounterVec
	upstream    *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	rateLimited prometheus.Counter
	resultBytes prometheus.Gauge
	evictions   *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	sessions    prometheus.Gauge
	streams     prometheus.Gauge
}

// New returns a Metrics with its own registry, which also holds the Go
// runtime's and the process's collectors.
func New(o Options) *Metrics {
	known := o.Toolkits
	if known == nil {
		known = WellKnownToolkits()
	}
	m := &Metrics{reg: prometheus.NewRegistry(), toolkits: map[string]string{}, tools: slices.Clone(o.Tools), ops: operations(), areas: storeOps()}
	for _, t := range known {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && t != OtherToolkit {
			m.toolkits[t] = t
		}
	}
	m.toolCalls = counterVec("tool_calls_total", "Tool calls that reached a tool, by tool, toolkit (a known slug, \"other\", or \"\" for tools without one) and outcome (ok, error, refused, failed).", "tool", "toolkit", "outcome")
	m.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "upstream_request_duration_seconds",
		Help:    "Requests to Composio (each attempt), by operation and status class (2xx, 3xx, 4xx, 5xx, error: no answer).",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"operation", "status"})
	m.retries = counterVec("upstream_retries_total", "Requests to Composio sent again after a failed attempt, by operation.", "operation")
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "rate_limit_refusals_total",
		Help: "Tool calls refused by the server's rate limit (--rate-limit); they are not in tool_calls_total."})
	m.resultBytes = gauge("stored_result_bytes", "Bytes of the results kept whole for query_result and resources/read.")
	m.evictions = counterVec("stored_result_evictions_total", "Stored results dropped before being read again, by reason (ttl, capacity).", "reason")
	m.storeErrors = counterVec("store_errors_total", "Operations on the shared store that failed, by operation.", "operation")
	m.sessions = gauge("sessions", "MCP sessions open (stdio, SSE, stateful streamable HTTP).")
	m.streams = gauge("open_streams", "Event streams open on the HTTP transports (GET /sse, GET /mcp).")
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.toolCalls, m.upstream, m.retries, m.rateLimited, m.resultBytes,
		m.evictions, m.storeErrors, m.sessions, m.streams,
	)
	// Series that exist from the start read 0 rather than missing, so that
	// a rate() or an alert works before the first event.
	for _, r := range []string{EvictTTL, EvictCapacity} {
		m.evictions.WithLabelValues(r)
	}
	return m
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. Errors in gathering are logged nowhere and answered with 500.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is the registry the metrics are in, for tests and for adding
// collectors of one's own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WellKnownToolkits are the toolkit slugs counted by name when the server
// has no --allow-toolkits: common Composio toolkits, and those of the fake
// backend's corpus.
func WellKnownToolkits() []string {
	return []string{
		"airtable", "asana", "bitbucket", "calendly", "clickup", "confluence",
		"discord", "dropbox", "figma", "github", "gitlab", "gmail",
		"googlecalendar", "googledocs", "googledrive", "googlesheets",
		"hackernews", "hubspot", "intercom", "jira", "linear", "linkedin",
		"microsoft_teams", "monday", "notion", "outlook", "reddit", "salesforce",
		"sentry", "shopify", "slack", "stripe", "supabase", "todoist", "trello",
		"twitter", "youtube", "zendesk", "zoom",
	}
}

// toolkitLabel bounds a caller-chosen toolkit slug to the known set.
func (m *Metrics) toolkitLabel(slug string) string {
	if slug == "" {
		return ""
	}
	if l, ok := m.toolkits[strings.ToLower(slug)]; ok {
		return l
	}
	return OtherToolkit
}
