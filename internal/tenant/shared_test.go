package tenant

import (
	"context"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/sessioncache"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// Two multi-tenant replicas on one store create one session for a caller's
// user between them: each one's pool of managers is a cache of its own, and
// the session id they agree on is kept in the store.
func TestResolversShareSessions(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	replica := func() *Resolver {
		return NewResolver([]client.Option{client.WithBaseURL(fake.URL)}, session.Config{Shared: sessioncache.New(srv.Open(t))})
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
	if n := fake.SessionsCreated(); n != 1 {
		t.Errorf("%d sessions created, want 1", n)
	}
}
