package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEndpointGuardBypassesEndToEnd: endpoints that net/url reads as paths
// but a WHATWG parser resolves to another host are refused by the binary, with
// and without --allow-absolute-urls (backslashes and control characters are
// refused either way), and none reaches Composio.
func TestEndpointGuardBypassesEndToEnd(t *testing.T) {
	t.Parallel()
	bypasses := []string{`/\evil.com/x`, `\/evil.com/x`, "/\t/evil.com/x", "/\n/evil.com/x", "/\r/evil.com/x"}
	for _, flags := range [][]string{nil, {"--allow-absolute-urls"}} {
		fake := backend(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, _ := stdioClient(t, ctx, serverEnv(fake.URL), flags...)
		for _, ep := range bypasses {
			res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": ep, "method": "GET"})
			if err != nil {
				t.Fatal(err)
			}
			if msg := resultText(res); !res.IsError || !strings.Contains(msg, "refused by this server's policy") || !strings.Contains(msg, "endpoint: contains a") {
				t.Errorf("%v %q: not refused: %s", flags, ep, msg)
			}
		}
		if n := len(fake.ProxyRequests()); n != 0 {
			t.Errorf("%v: %d refused calls reached Composio", flags, n)
		}
		cancel()
		c.Close()
	}
}

// TestAuditLogRedactsBareQueryItems: a query item without "=" is a value as
// far as the audit log can tell, and never appears in it.
func TestAuditLogRedactsBareQueryItems(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 30*time.Second)
	c, logPath := auditedStdio(t, ctx)
	for _, ep := range []string{"/p?QSECRET8", "/p?a=1&&QSECRET9", "/p?=QSECRET10#QSECRET11"} {
		if _, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": ep, "method": "GET"}); err != nil {
			t.Fatal(err)
		}
	}
	c.Close() // the log is complete once the process has exited
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "QSECRET") || strings.Count(string(data), `"endpoint":"/p"`) != 3 {
		t.Errorf("audit log:\n%s", data)
	}
	if strings.Contains(string(data), `/p?`) {
		t.Errorf("audit log keeps a query:\n%s", data)
	}
}
