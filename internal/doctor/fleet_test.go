package doctor

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth/oauthtest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// doctor checks a team's server: the store answers (or it says where it
// does not), and a sign-in server, which has no user of its own, is not
// failed for the missing user id but has its issuer discovered.
func TestDoctorFleet(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	srv := redistest.Start(t)
	iss := oauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	base := map[string]string{"COMPOSIO_API_KEY": composiotest.APIKey, "COMPOSIO_BASE_URL": fake.URL}
	run := func(t *testing.T, extra map[string]string, args ...string) (string, error) {
		t.Helper()
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		var out bytes.Buffer
		err := Run(context.Background(), args, func(k string) string { return env[k] }, "v1", &out, io.Discard)
		return out.String(), err
	}
	wants := func(t *testing.T, out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("the report lacks %q:\n%s", w, out)
			}
		}
	}

	out, err := run(t, map[string]string{"COMPOSIO_USER_ID": "alice"}, "--transport", "http", "--store", srv.URL(), "--confirm-writes")
	if err != nil {
		t.Fatalf("a store that answers: %v\n%s", err, out)
	}
	wants(t, out, "ok    the store at "+srv.Addr()+" answers", "warn  --store with --confirm-writes and no COMPOSIO_MCP_STATE_KEY")

	out, err = run(t, nil, "--transport", "http", "--oauth-issuer", iss.URL, "--oauth-audience", "https://mcp.example.com/mcp")
	if err != nil {
		t.Fatalf("sign-in: %v\n%s", err, out)
	}
	wants(t, out, "ok    --oauth-issuer: discovered", "ok    sign-in: each person gets a tool-router session")

	srv.Stop()
	out, err = run(t, map[string]string{"COMPOSIO_USER_ID": "alice"}, "--transport", "http", "--store", srv.URL())
	if err == nil {
		t.Fatalf("a store that does not answer passed:\n%s", out)
	}
	wants(t, out, "FAIL  the store at "+srv.Addr()+" does not answer", "fix: start the Redis or Valkey")
}
