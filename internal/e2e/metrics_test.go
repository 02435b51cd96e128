package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// scrapeMetrics GETs url with the bearer token (none when empty) and returns
// the status and body.
func scrapeMetrics(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET %s: Content-Type %q, want the text format", url, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

// githubOK is the tool_calls series of one successful GitHub call.
const githubOK = `composio_mcp_tool_calls_total{outcome="ok",tool="proxy_execute",toolkit="github"} 1`

// Over streamable HTTP with a token, /metrics is behind it, and counts a
// call; the --metrics-listen listener serves the same without the token.
func TestMetricsOverHTTPBehindTheToken(t *testing.T) {
	t.Parallel()
	const token = "tok_metrics_0123456789abcdef"
	fake := backend(t)
	addr, p := startHTTP(t, append(serverEnv(fake.URL), "COMPOSIO_MCP_AUTH_TOKEN="+token, "NO_COLOR=1"), "--transport", "http", "--metrics-listen", "127.0.0.1:0")
	url := "http://" + addr + "/metrics"
	if code, _ := scrapeMetrics(t, url, ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without the token: %d, want 401", code)
	}
	if code, _ := scrapeMetrics(t, url, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("GET /metrics with a wrong token: %d, want 401", code)
	}
	ctx := testContext(t, 20*time.Second)
	c := connectHTTP(t, ctx, "http", addr, map[string]string{"Authorization": "Bearer " + token})
	if res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}); res.IsError {
		t.Fatalf("call: %s", resultText(res))
	}
	code, body := scrapeMetrics(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with the token: %d", code)
	}
	for _, want := range []string{
		githubOK,
		`composio_mcp_upstream_request_duration_seconds_count{operation="proxy_execute",status="2xx"} 1`,
		`composio_mcp_sessions 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, token) || strings.Contains(body, secretKey) {
		t.Error("a secret is in the scrape")
	}
	if code, side := scrapeMetrics(t, metricsURL(t, p.stderr.String()), ""); code != http.StatusOK || !strings.Contains(side, githubOK) {
		t.Errorf("the metrics listener: %d\n%s", code, side)
	}
	t.Logf("scrape excerpt:\n%s", grepLines(body, "composio_mcp_tool_calls_total", `operation="proxy_execute",status="2xx"`, "composio_mcp_sessions"))
}

// On stdio, --metrics-listen 127.0.0.1:0 serves the metrics on a port the
// server logs on stderr; stdout carries JSON-RPC alone.
func TestMetricsListenOnStdio(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	p := launch{args: []string{"--metrics-listen", "127.0.0.1:0"}, env: append(serverEnv(fake.URL), "NO_COLOR=1")}.start(t, nil)
	out := bufio.NewReader(p.stdout)
	send := func(line string) {
		if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	readUntilID := func(id float64) {
		t.Helper()
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("stdout ended before id %v: %v; stderr:\n%s", id, err, p.stderr.String())
			}
			lines = append(lines, line)
			var msg struct {
				ID *float64 `json:"id"`
			}
			if json.Unmarshal([]byte(line), &msg) == nil && msg.ID != nil && *msg.ID == id {
				return
			}
		}
	}
	send(initLine)
	readUntilID(1)
	send(initdLine)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/user","method":"GET"}}}`)
	readUntilID(2)
	url := metricsURL(t, p.stderr.String())
	code, body := scrapeMetrics(t, url, "")
	if code != http.StatusOK || !strings.Contains(body, githubOK) || !strings.Contains(body, "composio_mcp_sessions 1") {
		t.Fatalf("GET %s: %d\n%s", url, code, body)
	}
	t.Logf("stderr: %s\nscrape excerpt:\n%s", grepLines(p.stderr.String(), "serving metrics"), grepLines(body, "composio_mcp_tool_calls_total", "composio_mcp_sessions"))
	p.stdin.Close()
	rest, _ := io.ReadAll(out)
	lines = append(lines, strings.SplitAfter(string(rest), "\n")...)
	for _, line := range lines {
		if line == "" {
			continue
		}
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line is not JSON-RPC: %q", line)
		}
	}
	p.waitExit(t, time.Now(), 10*time.Second)
}

// A metrics listener beyond loopback must be named, and is warned of: it
// asks no token.
func TestMetricsListenBeyondLoopbackIsWarnedOf(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	_, stderr, err := rawSession(t, append(serverEnv(fake.URL), "NO_COLOR=1"), []string{"--metrics-listen", "0.0.0.0:0"}, initLine)
	if err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "WRN the metrics listener is reachable from other machines and asks no token") {
		t.Errorf("no warning on stderr:\n%s", stderr)
	}
}

// No label carries a secret, a user id, an endpoint or its query, or a
// caller's made-up toolkit: 200 of those add one "other" series, not 200.
func TestMetricsCarryNoSecretOrCallerValue(t *testing.T) {
	t.Parallel()
	const (
		token  = "tok_metrics_SECRET_TOKEN_99"
		key    = "ak_metrics_SECRET_KEY_0000"
		userID = "metrics-user-alice@example.com"
	)
	fake := composiotest.NewServer(composiotest.WithAPIKey(key))
	t.Cleanup(fake.Close)
	env := []string{"COMPOSIO_API_KEY=", "COMPOSIO_USER_API_KEY=", "COMPOSIO_SESSION_ID=", "COMPOSIO_USER_ID=", "COMPOSIO_BASE_URL=" + fake.URL, "COMPOSIO_MCP_AUTH_TOKEN=" + token}
	addr, _ := startHTTP(t, env, "--transport", "http", "--multi-tenant", "--rate-limit", "0")
	ctx := testContext(t, 30*time.Second)
	c := connectHTTP(t, ctx, "http", addr, map[string]string{
		"Authorization": "Bearer " + token, "X-Composio-Api-Key": key, "X-Composio-User-Id": userID,
	})
	mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user?access_token=QUERYSECRET", "method": "GET"})
	for i := range 200 {
		mustCall(t, ctx, c, "proxy_execute", map[string]any{
			"toolkit_slug": fmt.Sprintf("zz_madeup_%03d", i),
			"endpoint":     fmt.Sprintf("/weird/%d/path?email=%s&key=QUERYSECRET", i, userID),
			"method":       "GET",
		})
	}
	mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "zz_madeup_connect"})
	code, body := scrapeMetrics(t, "http://"+addr+"/metrics", token)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, s := range []string{token, key, userID, "alice", "madeup", "QUERYSECRET", "/weird", "/user", "access_token", "trs_"} {
		if strings.Contains(body, s) {
			t.Errorf("%q is in the scrape:\n%s", s, grepLines(body, s))
		}
	}
	toolkits := map[string]bool{}
	series := 0
	for _, m := range regexp.MustCompile(`(?m)^composio_mcp_tool_calls_total\{.*toolkit="([^"]*)"\}`).FindAllStringSubmatch(body, -1) {
		toolkits[m[1]] = true
		series++
	}
	if !toolkits["other"] || len(toolkits) > 3 || series > 8 {
		t.Errorf("%d tool_calls series over toolkits %v, want a handful:\n%s", series, toolkits, grepLines(body, "composio_mcp_tool_calls_total"))
	}
	t.Logf("scrape excerpt:\n%s", grepLines(body, "composio_mcp_tool_calls_total"))
}

// metricsURL is the URL of the metrics listener the server logged on stderr.
func metricsURL(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`serving metrics url=(http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no 'serving metrics' URL on stderr:\n%s", stderr)
	}
	return m[1]
}

// grepLines is the lines of s that hold any of subs, for a log.
func grepLines(s string, subs ...string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		for _, sub := range subs {
			if strings.Contains(line, sub) {
				b.WriteString(line)
				break
			}
		}
	}
	return b.String()
}
