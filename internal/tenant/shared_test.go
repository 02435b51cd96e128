package tenant

import (
	"context"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/sessioncache"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// Two multi-tenant replicas on one store create one session for a caller's
// user between them.
func TestResolversShareSessions(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	replica := func() *Resolver {
		st, err := store.Open(store.Config{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return NewResolver([]client.Option{client.WithBaseURL(fake.URL)}, session.Config{Shared: sessioncache.New(st)})
	}
	a, b := replica(), replica()
	ctx := context.Background()
	current := func(r *Resolver, key string) string {
		ten, err := r.Tenant(ctx, header("X-Composio-Api-Key", key, "X-Composio-User-Id", "alice"))
		if err != nil {
			t.Fatal(err)
		}
		id, err := ten.Sessions.(*session.Manager).Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if idA, idB := current(a, composiotest.APIKey), current(b, composiotest.APIKey); idA != idB {
		t.Errorf("replicas use %q and %q for one caller", idA, idB)
	}
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/tool_router/session") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sessions created, want 1", n)
	}
}
