package e2e

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// End-to-end tests of proxy_execute's jq argument and of query_result,
// against the built binary.

// storedID finds the id of the stored whole response a result names.
var storedID = regexp.MustCompile(`as result ([0-9a-f]{32})`)

func storedIDOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	m := storedID.FindStringSubmatch(resultText(res))
	if m == nil {
		t.Fatalf("no stored result named in:\n%.1500s", resultText(res))
	}
	return m[1]
}

// jq narrows a large answer to what was asked; the filter never reaches
// Composio; a bad filter sends nothing; a runaway one is stopped, and the
// server answers after it.
func TestJQEndToEnd(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	c := featureClient(t, fake, nil)

	res := featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/bytes/300000","method":"GET","jq":"{size}"}`, nil)
	txt := resultText(res)
	if res.IsError || len(txt) > 2000 || !strings.Contains(txt, `"data":{"size":300000}`) {
		t.Fatalf("filtered result (%d bytes):\n%.1500s", len(txt), txt)
	}
	storedIDOf(t, res)
	for _, r := range fake.Requests() {
		if bytes.Contains(r.Body, []byte(`"jq"`)) || bytes.Contains(r.Body, []byte(`{size}`)) {
			t.Errorf("the filter reached Composio: %s", r.Body)
		}
	}

	sent := len(fake.ProxyRequests())
	res = featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/bytes/100","method":"GET","jq":".items[] | {id, name"}`, nil)
	if !res.IsError || !strings.Contains(resultText(res), "jq: syntax error at line 1, column 20") {
		t.Errorf("bad filter: %s", resultText(res))
	}
	if n := len(fake.ProxyRequests()) - sent; n != 0 {
		t.Errorf("a bad filter sent %d requests", n)
	}

	for _, filter := range []string{"range(1e9)", "repeat(.)"} {
		res = featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/bytes/100","method":"GET","jq":"`+filter+`"}`, nil)
		if !res.IsError || !strings.Contains(resultText(res), "the jq filter was stopped") {
			t.Errorf("%s: %.600s", filter, resultText(res))
		}
		if err := c.Ping(featureContext(t)); err != nil {
			t.Errorf("no answer to a ping after %s: %v", filter, err)
		}
	}
}

// A result kept over streamable HTTP is found again by query_result from a
// second MCP session of the same caller: without --multi-tenant every
// caller past the guard is the one user whose key the server holds.
func TestQueryResultFromAnotherSession(t *testing.T) {
	t.Parallel()
	addr, _, _ := backedHTTP(t, "http", "--max-result-bytes", "4096")
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.ProtocolVersion20260728} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 30*time.Second)
			first := httpSession(t, ctx, addr, version, nil)
			res := mustCall(t, ctx, first, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/60000", "method": "GET", "jq": "{size, payload: .payload[:10]}"})
			id := storedIDOf(t, res)
			second := httpSession(t, ctx, addr, version, nil)
			got := mustCall(t, ctx, second, "query_result", map[string]any{"result": id, "jq": ".size"})
			if got.IsError || !strings.HasSuffix(resultText(got), "\n60000") {
				t.Errorf("query_result from a second session: %s", resultText(got))
			}
			page := mustCall(t, ctx, second, "query_result", map[string]any{"result": id, "page": 2})
			if page.IsError || !strings.Contains(resultText(page), "page 2 of") {
				t.Errorf("page 2: %.300s", resultText(page))
			}
		})
	}
}

// With --multi-tenant a stored result is the caller identity's: the same
// caller finds it from a new session, another caller never does.
func TestQueryResultRefusedForAnotherTenant(t *testing.T) {
	t.Parallel()
	addr, _ := startMultiTenant(t)
	ctx := testContext(t, 30*time.Second)
	version := mcp.ProtocolVersion20260728
	alice := map[string]string{"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "alice"}
	res := mustCall(t, ctx, tenantClient(t, ctx, addr, version, alice), "proxy_execute",
		map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/5000", "method": "GET", "jq": ".size"})
	id := storedIDOf(t, res)
	for who, h := range map[string]map[string]string{
		"tenant B":      {"X-Composio-User-Api-Key": tenantKeyB, "X-Composio-User-Id": "alice"},
		"same key, bob": {"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "bob"},
	} {
		got := mustCall(t, ctx, tenantClient(t, ctx, addr, version, h), "query_result", map[string]any{"result": id})
		if !got.IsError || !strings.Contains(resultText(got), "No stored result") || strings.Contains(resultText(got), "composiotest payload") {
			t.Errorf("%s: %.300s", who, resultText(got))
		}
	}
	got := mustCall(t, ctx, tenantClient(t, ctx, addr, version, alice), "query_result", map[string]any{"result": id, "jq": ".size"})
	if got.IsError || !strings.HasSuffix(resultText(got), "\n5000") {
		t.Errorf("the caller, from a new session: %s", resultText(got))
	}
}

// httpSession is a new, initialized MCP session over streamable HTTP.
func httpSession(t *testing.T, ctx context.Context, addr, version string, headers map[string]string) *mcpclient.Client {
	t.Helper()
	c := startHTTPClient(t, ctx, "http", addr, headers, nil, mcpclient.WithProtocolVersion(version))
	initializeVersion(t, ctx, c, version)
	return c
}
