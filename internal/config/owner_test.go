package config

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// opened is the configuration of args and the environment vars, its store
// (if any) opened until the test ends.
func opened(t *testing.T, args []string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse(args, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	closeStore, err := c.OpenStore(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	return c
}

// deployment is the results of a single-user server on the store at url,
// with this Composio key and user id and these flags.
func deployment(t *testing.T, url, key, user string, args ...string) *results.Store {
	t.Helper()
	vars := map[string]string{"COMPOSIO_API_KEY": key, "COMPOSIO_USER_ID": user}
	return opened(t, append([]string{"--store", url, "--transport", "http"}, args...), vars).ToolsConfig(nil).Results
}

// Two single-user deployments on one store (other keys, or other users)
// each have their own quota: one's results do not evict the other's.
func TestStoreQuotaIsPerDeployment(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := deployment(t, srv.URL(), "ak_A", "alice", "--result-quota-per-caller", "10")
	b := deployment(t, srv.URL(), "ak_B", "alice", "--result-quota-per-caller", "10")
	ctx := context.Background()
	ra, err := a.Keep(ctx, "a", "text/plain", []byte("aaaaaaaa"), []int{0})
	if err != nil || ra == nil {
		t.Fatal(ra, err)
	}
	if _, err := b.Keep(ctx, "b", "text/plain", []byte("bbbbbbbb"), []int{0}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Get(ctx, ra.ID()); !ok {
		t.Errorf("deployment B's result evicted deployment A's: one quota for every server on the store")
	}
}

// A single-user deployment cannot read another's result by its id: not
// with another key, nor with the same key for another user; a replica of
// the same deployment can.
func TestStoreResultsArePerDeployment(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := deployment(t, srv.URL(), "ak_A", "alice")
	ctx := context.Background()
	ra, err := a.Keep(ctx, "gmail GET /messages", "text/plain", []byte("alice's mail"), []int{0})
	if err != nil || ra == nil {
		t.Fatal(ra, err)
	}
	for _, other := range [][2]string{{"ak_B", "bob"}, {"ak_B", "alice"}, {"ak_A", "bob"}} {
		if r, ok, _ := deployment(t, srv.URL(), other[0], other[1]).Get(ctx, ra.ID()); ok {
			t.Errorf("deployment of %s/%s reads A's result: %q", other[0], other[1], r.Data())
		}
	}
	if _, ok, err := deployment(t, srv.URL(), "ak_A", "alice").Get(ctx, ra.ID()); !ok {
		t.Errorf("a replica of A does not read A's result: %v", err)
	}
}

// The tools name the caller as the results do: on a multi-tenant server the
// credential and the user id, so that one user's confirmation is neither
// taken from nor replayed to another user of the same key.
func TestToolsNameTheCaller(t *testing.T) {
	t.Parallel()
	c, err := Parse([]string{"--multi-tenant", "--transport", "http"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	owner := c.ToolsConfig(nil).CallerOwner
	if owner == nil {
		t.Fatal("no CallerOwner")
	}
	as := func(user string) string {
		return owner(context.Background(), http.Header{"X-Composio-Api-Key": {"ak_team"}, "X-Composio-User-Id": {user}})
	}
	if as("alice") == as("bob") || as("alice") != as("alice") || strings.Contains(as("alice"), "ak_team") {
		t.Errorf("alice %q, bob %q", as("alice"), as("bob"))
	}
}
