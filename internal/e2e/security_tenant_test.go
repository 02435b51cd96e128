package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// Black-box tests of what one caller of a multi-tenant server can do to
// another, or to the server: the rate limit counts what identifies the
// caller, and kept results belong to the caller who made them. Helpers come
// from harness_test.go and client_test.go.

const (
	tenantKeyA = "ak_sec_tenant_A_SECRET_00000"
	tenantKeyB = "uak_sec_tenant_B_SECRET_0000"
)

// startMultiTenant runs the binary with --multi-tenant over streamable HTTP
// against a fake Composio that knows both tenants' keys.
func startMultiTenant(t *testing.T, args ...string) (addr string, fake *composiotest.Server) {
	t.Helper()
	fake = composiotest.NewServer(composiotest.WithAPIKey(tenantKeyA), composiotest.WithUserAPIKey(tenantKeyB))
	t.Cleanup(fake.Close)
	addr, _ = startHTTP(t, []string{"COMPOSIO_API_KEY=", "COMPOSIO_USER_API_KEY=", "COMPOSIO_SESSION_ID=", "COMPOSIO_USER_ID=", "COMPOSIO_BASE_URL=" + fake.URL},
		append([]string{"--transport", "http", "--multi-tenant"}, args...)...)
	return addr, fake
}

// tenantClient connects to a multi-tenant server at addr, speaking the
// protocol revision version, and sending headers with every request.
func tenantClient(t *testing.T, ctx context.Context, addr, version string, headers map[string]string) *mcpclient.Client {
	t.Helper()
	c := startHTTPClient(t, ctx, "http", addr, headers, nil, mcpclient.WithProtocolVersion(version))
	initializeVersion(t, ctx, c, version)
	return c
}

// A caller whose bucket is empty cannot get more calls by naming a new
// X-Composio-Session-Id or a new X-Composio-User-Id on each: both are values
// the caller picks per request, so the bucket is the caller's credential.
// Another credential is another bucket.
func TestMultiTenantRateLimitNotSidesteppedBySessionID(t *testing.T) {
	t.Parallel()
	addr, fake := startMultiTenant(t, "--rate-limit", "5")
	ctx := testContext(t, 30*time.Second)
	call := func(headers map[string]string) *mcp.CallToolResult {
		c := tenantClient(t, ctx, addr, mcp.LATEST_LEGACY_PROTOCOL_VERSION, headers)
		return mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
	}
	for i := range 5 {
		if res := call(map[string]string{"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "alice"}); res.IsError {
			t.Fatalf("call %d of 5 refused: %s", i+1, resultText(res))
		}
	}
	sent := len(fake.ProxyRequests())
	for name, vary := range map[string]func(i int) map[string]string{
		"session id": func(i int) map[string]string {
			return map[string]string{"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "alice", "X-Composio-Session-Id": fmt.Sprintf("trs_made_up_%d", i)}
		},
		"user id": func(i int) map[string]string {
			return map[string]string{"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": fmt.Sprintf("user_%d", i)}
		},
	} {
		passed := 0
		for i := range 7 {
			res := call(vary(i))
			if !res.IsError || !strings.Contains(resultText(res), "Rate limit") {
				passed++
			}
		}
		if passed != 0 {
			t.Errorf("%d of 7 calls with a new %s each passed an empty bucket", passed, name)
		}
	}
	if n := len(fake.ProxyRequests()) - sent; n != 0 {
		t.Errorf("%d calls over the limit reached Composio", n)
	}
	// Another credential has its own bucket.
	other := map[string]string{"X-Composio-User-Api-Key": tenantKeyB, "X-Composio-User-Id": "alice"}
	if res := call(other); strings.Contains(resultText(res), "Rate limit") {
		t.Errorf("another key shares the first key's bucket: %s", resultText(res))
	}
}

// A result too large to return whole is kept for the caller who made it:
// another tenant, and a request with no credentials, get the answer an
// unknown id gets; the caller gets it, from a new connection too.
func TestMultiTenantResultsBelongToCaller(t *testing.T) {
	t.Parallel()
	addr, _ := startMultiTenant(t, "--max-result-bytes", "4096")
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.ProtocolVersion20260728} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 30*time.Second)
			headersA := map[string]string{"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "alice"}
			a := tenantClient(t, ctx, addr, version, headersA)
			res := mustCall(t, ctx, a, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/60000", "method": "GET"})
			var uri string
			for _, ct := range res.Content {
				if l, ok := ct.(mcp.ResourceLink); ok {
					uri = l.URI
				}
			}
			if res.IsError || uri == "" {
				t.Fatalf("no kept result: %.600s", resultText(res))
			}
			read := func(c *mcpclient.Client, uri string) (string, error) {
				var req mcp.ReadResourceRequest
				req.Params.URI = uri
				r, err := c.ReadResource(ctx, req)
				if err != nil {
					return "", err
				}
				if len(r.Contents) != 1 {
					return "", fmt.Errorf("%d contents", len(r.Contents))
				}
				tc, _ := r.Contents[0].(mcp.TextResourceContents)
				return tc.Text, nil
			}
			// What an unknown id gets, with the id taken out.
			unknown := uri[:len(uri)-4] + "0000"
			_, err := read(a, unknown)
			if err == nil {
				t.Fatal("an unknown id was served")
			}
			want := strings.ReplaceAll(err.Error(), unknown, "<id>")

			others := map[string]map[string]string{
				"tenant B":       {"X-Composio-User-Api-Key": tenantKeyB, "X-Composio-Session-Id": composiotest.SessionID},
				"same key, bob":  {"X-Composio-Api-Key": tenantKeyA, "X-Composio-User-Id": "bob"},
				"no credentials": nil,
			}
			for who, h := range others {
				for _, u := range []string{uri, uri + "/1"} {
					got, err := read(tenantClient(t, ctx, addr, version, h), u)
					if err == nil {
						t.Errorf("%s read %s: %.80s", who, u, got)
						continue
					}
					if u == uri && strings.ReplaceAll(err.Error(), uri, "<id>") != want {
						t.Errorf("%s got %q, an unknown id %q", who, err, want)
					}
				}
			}
			got, err := read(tenantClient(t, ctx, addr, version, headersA), uri)
			if err != nil || !strings.Contains(got, `"size":60000`) {
				t.Errorf("the caller cannot read its own result: %v %.200s", err, got)
			}
		})
	}
}
