package e2e

import (
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// Two replicas on one --store share one rate limit: together they allow 5
// calls a minute, and the 6th, on either, is refused with when to retry.
// With the store stopped the limit fails open: calls go ahead, and the
// server warns on stderr.
func TestFleetSharesRateLimit(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	fake := backend(t)
	ctx := testContext(t, 60*time.Second)
	args := []string{"--transport", "http", "--store", srv.URL(), "--rate-limit", "5"}
	addrA, procA := startHTTP(t, serverEnv(fake.URL), args...)
	addrB, procB := startHTTP(t, serverEnv(fake.URL), args...)
	clients := []*mcpclient.Client{connectHTTP(t, ctx, "http", addrA, nil), connectHTTP(t, ctx, "http", addrB, nil)}
	get := map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}

	var refused []string
	for i := range 6 {
		res := mustCall(t, ctx, clients[i%2], "proxy_execute", get)
		if res.IsError {
			refused = append(refused, resultText(res))
		}
	}
	if len(refused) != 1 || !strings.Contains(refused[0], "5 tool calls per minute") || !strings.Contains(refused[0], "Retry in") {
		t.Fatalf("refused %d of 6 calls across two replicas, want the 6th: %q", len(refused), refused)
	}
	if n := len(fake.ProxyRequests()); n != 5 {
		t.Errorf("%d calls reached Composio, want 5", n)
	}

	srv.Stop()
	for i := range 4 {
		if res := mustCall(t, ctx, clients[i%2], "proxy_execute", get); res.IsError {
			t.Fatalf("with the store down call %d was refused: %s", i, resultText(res))
		}
	}
	for name, p := range map[string]*proc{"A": procA, "B": procB} {
		if log := p.stderr.String(); !strings.Contains(log, "rate limit not applied") {
			t.Errorf("replica %s's stderr has no warning:\n%s", name, lastBytes(log))
		}
	}
}

// Two replicas on one --store serving one user create one tool-router
// session between them, at start and on calls.
func TestFleetSharesSession(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	fake := backend(t)
	ctx := testContext(t, 60*time.Second)
	env := []string{"COMPOSIO_API_KEY=" + secretKey, "COMPOSIO_USER_ID=alice", "COMPOSIO_BASE_URL=" + fake.URL}
	get := map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}
	for range 2 {
		addr, _ := startHTTP(t, env, "--transport", "http", "--store", srv.URL())
		if res := mustCall(t, ctx, connectHTTP(t, ctx, "http", addr, nil), "proxy_execute", get); res.IsError {
			t.Fatal(resultText(res))
		}
	}
	if created := fake.SessionsCreated(); created != 1 {
		t.Errorf("%d sessions created by two replicas for one user, want 1", created)
	}
}
