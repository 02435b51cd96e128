package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// The hooks' types are what Metrics offers: these fail to compile otherwise.
var (
	_ server.Observer    = (*Metrics)(nil)
	_ results.Observer   = (*Metrics)(nil)
	_ client.Observer    = (*Metrics)(nil).Upstream
	_ tools.CallObserver = (*Metrics)(nil).ToolCall
)

// scrape is the text m serves at /metrics.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

// value is the value of the series named exactly by series (name and
// labels as the text format writes them), or "" when it is not there.
func value(body, series string) string {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}

func wantValue(t *testing.T, body, series, want string) {
	t.Helper()
	if got := value(body, series); got != want {
		t.Errorf("%s = %q, want %q", series, got, want)
	}
}

func TestEachSeriesMovesWithItsEvent(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names()})
	m.ToolCall("proxy_execute", "GitHub", audit.OutcomeOK)
	m.ToolCall("proxy_execute", "github", audit.OutcomeUpstreamError)
	m.ToolCall("proxy_execute", "github", audit.OutcomeComposioError)
	m.ToolCall("proxy_execute", "gmail", audit.OutcomeRejected)
	m.ToolCall("list_toolkits", "", audit.OutcomeInternalError)
	m.Upstream(client.Observation{Op: client.OpProxyExecute, Attempt: 1, Status: 503, Duration: 20 * time.Millisecond})
	m.Upstream(client.Observation{Op: client.OpProxyExecute, Attempt: 2, Status: 200, Duration: 30 * time.Millisecond})
	m.Upstream(client.Observation{Op: client.OpCreateSession, Attempt: 1, Err: errors.New("refused")})
	m.RateLimited()
	m.StoredBytes(1234)
	m.Evicted(EvictTTL)
	m.Evicted(EvictCapacity)
	m.Evicted(EvictCapacity)
	m.StoreError("results.get")
	m.SessionsChanged(1)
	m.SessionsChanged(1)
	m.SessionsChanged(-1)
	m.StreamsChanged(1)
	body := scrape(t, m)
	for series, want := range map[string]string{
		`composio_mcp_tool_calls_total{outcome="ok",tool="proxy_execute",toolkit="github"}`:                       "1",
		`composio_mcp_tool_calls_total{outcome="error",tool="proxy_execute",toolkit="github"}`:                    "2",
		`composio_mcp_tool_calls_total{outcome="refused",tool="proxy_execute",toolkit="gmail"}`:                   "1",
		`composio_mcp_tool_calls_total{outcome="failed",tool="list_toolkits",toolkit=""}`:                         "1",
		`composio_mcp_upstream_request_duration_seconds_count{operation="proxy_execute",status="5xx"}`:            "1",
		`composio_mcp_upstream_request_duration_seconds_count{operation="proxy_execute",status="2xx"}`:            "1",
		`composio_mcp_upstream_request_duration_seconds_bucket{operation="proxy_execute",status="2xx",le="0.05"}`: "1",
		`composio_mcp_upstream_request_duration_seconds_count{operation="create_session",status="error"}`:         "1",
		`composio_mcp_upstream_retries_total{operation="proxy_execute"}`:                                          "1",
		`composio_mcp_rate_limit_refusals_total`:                                                                  "1",
		`composio_mcp_stored_result_bytes`:                                                                        "1234",
		`composio_mcp_stored_result_evictions_total{reason="ttl"}`:                                                "1",
		`composio_mcp_stored_result_evictions_total{reason="capacity"}`:                                           "2",
		`composio_mcp_store_errors_total{operation="results"}`:                                                    "1",
		`composio_mcp_sessions`:     "1",
		`composio_mcp_open_streams`: "1",
	} {
		wantValue(t, body, series, want)
	}
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Error("no Go or process collector in the scrape")
	}
}

// Every label is bounded whatever it is given: 200 made-up toolkits, and
// made-up tools, operations, reasons and store operations, add one "other"
// series each, never one per value.
func TestLabelsAreBounded(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names()})
	for i := range 200 {
		slug := fmt.Sprintf("made_up_%d?token=ak_SECRET", i)
		m.ToolCall("proxy_execute", slug, audit.OutcomeOK)
		m.ToolCall("tool_"+slug, slug, "outcome_"+slug)
		m.Upstream(client.Observation{Op: "op_" + slug, Attempt: 2, Status: 1000 + i})
		m.Evicted("reason_" + slug)
		m.StoreError("op_" + slug)
	}
	body := scrape(t, m)
	if strings.Contains(body, "made_up") || strings.Contains(body, "SECRET") {
		t.Fatalf("a caller's value reached a label:\n%s", body)
	}
	wantValue(t, body, `composio_mcp_tool_calls_total{outcome="ok",tool="proxy_execute",toolkit="other"}`, "200")
	wantValue(t, body, `composio_mcp_tool_calls_total{outcome="error",tool="other",toolkit="other"}`, "200")
	wantValue(t, body, `composio_mcp_upstream_retries_total{operation="other"}`, "200")
	wantValue(t, body, `composio_mcp_upstream_request_duration_seconds_count{operation="other",status="error"}`, "200")
	wantValue(t, body, `composio_mcp_stored_result_evictions_total{reason="other"}`, "200")
	wantValue(t, body, `composio_mcp_store_errors_total{operation="other"}`, "200")
	if n := strings.Count(body, "composio_mcp_tool_calls_total{"); n != 2 {
		t.Errorf("%d tool_calls series, want 2:\n%s", n, body)
	}
}

// With --allow-toolkits, those slugs are the known set: a well-known slug
// outside it is "other".
func TestAllowedToolkitsAreTheKnownSet(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names(), Toolkits: []string{"Acme_CRM", "github"}})
	m.ToolCall("proxy_execute", "acme_crm", audit.OutcomeOK)
	m.ToolCall("proxy_execute", "gmail", audit.OutcomeRejected)
	body := scrape(t, m)
	wantValue(t, body, `composio_mcp_tool_calls_total{outcome="ok",tool="proxy_execute",toolkit="acme_crm"}`, "1")
	wantValue(t, body, `composio_mcp_tool_calls_total{outcome="refused",tool="proxy_execute",toolkit="other"}`, "1")
}

// Two Metrics share nothing: each has its own registry.
func TestMetricsShareNoRegistry(t *testing.T) {
	t.Parallel()
	a, b := New(Options{Tools: tools.Names()}), New(Options{Tools: tools.Names()})
	a.RateLimited()
	wantValue(t, scrape(t, b), "composio_mcp_rate_limit_refusals_total", "0")
	wantValue(t, scrape(t, a), "composio_mcp_rate_limit_refusals_total", "1")
}

// The result store's hook: bytes kept, and results dropped for their TTL
// and for room.
func TestResultStoreHook(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names()})
	now := time.Unix(1_000_000, 0)
	s := results.New(results.Config{MaxBytes: 100, TTL: time.Minute, Now: func() time.Time { return now }, Observer: m})
	ctx := context.Background()
	s.Keep(ctx, "a", "text/plain", make([]byte, 60), []int{0})
	wantValue(t, scrape(t, m), "composio_mcp_stored_result_bytes", "60")
	s.Keep(ctx, "b", "text/plain", make([]byte, 50), []int{0}) // a goes for room
	body := scrape(t, m)
	wantValue(t, body, "composio_mcp_stored_result_bytes", "50")
	wantValue(t, body, `composio_mcp_stored_result_evictions_total{reason="capacity"}`, "1")
	now = now.Add(2 * time.Minute)
	s.Get(ctx, strings.Repeat("0", 32)) // any lookup drops what has expired: b
	body = scrape(t, m)
	wantValue(t, body, "composio_mcp_stored_result_bytes", "0")
	wantValue(t, body, `composio_mcp_stored_result_evictions_total{reason="ttl"}`, "1")
}

// The client's hook, against the fake Composio over real HTTP: one
// observation per attempt, named by its operation.
func TestClientHook(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	m := New(Options{Tools: tools.Names()})
	c, err := client.New(client.WithBaseURL(fake.URL), client.WithAPIKey(composiotest.APIKey), client.WithObserver(m.Upstream))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.ProxyExecute(ctx, composiotest.SessionID, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: http.MethodGet}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListToolkits(ctx, composiotest.SessionID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSession(ctx, "trs_no_such_session"); err == nil {
		t.Fatal("a made-up session was found")
	}
	body := scrape(t, m)
	wantValue(t, body, `composio_mcp_upstream_request_duration_seconds_count{operation="proxy_execute",status="2xx"}`, "1")
	wantValue(t, body, `composio_mcp_upstream_request_duration_seconds_count{operation="list_toolkits",status="2xx"}`, "1")
	wantValue(t, body, `composio_mcp_upstream_request_duration_seconds_count{operation="get_session",status="4xx"}`, "1")
	if strings.Contains(body, "trs_") || strings.Contains(body, "/user") {
		t.Errorf("a session id or an endpoint reached the metrics:\n%s", body)
	}
}

// The operations the store's users name (internal/results, ratelimit,
// replays, sessioncache) each count under their area, none as "other".
func TestStoreErrorAreas(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names()})
	for _, op := range []string{"results.keep", "results.get", "ratelimit", "replay-claim", "replay-release", "replay-record", "session-load", "session-swap", "session-lock", "ping"} {
		m.StoreError(op)
	}
	body := scrape(t, m)
	for area, n := range map[string]string{"results": "2", "ratelimit": "1", "replay": "3", "session": "3", "ping": "1"} {
		wantValue(t, body, `composio_mcp_store_errors_total{operation="`+area+`"}`, n)
	}
	if strings.Contains(body, `composio_mcp_store_errors_total{operation="other"}`) {
		t.Error("a store operation counted as other")
	}
}

// Every tool the server registers is counted under its own name: the label
// set is the tool registry, not a copy of it.
func TestEveryToolHasItsLabel(t *testing.T) {
	t.Parallel()
	m := New(Options{Tools: tools.Names()})
	for _, name := range tools.Names() {
		m.ToolCall(name, "", audit.OutcomeOK)
	}
	body := scrape(t, m)
	for _, name := range tools.Names() {
		wantValue(t, body, `composio_mcp_tool_calls_total{outcome="ok",tool="`+name+`",toolkit=""}`, "1")
	}
}
