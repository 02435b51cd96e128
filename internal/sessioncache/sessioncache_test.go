package sessioncache

import (
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// replica is one server's session manager on the shared store.
func replica(t *testing.T, fake *composiotest.Server, srv *redistest.Server) (*session.Manager, *client.Client) {
	t.Helper()
	st := srv.Open(t)
	c, err := fake.Client()
	if err != nil {
		t.Fatal(err)
	}
	return session.New(c, session.Config{UserID: "alice", Toolkits: []string{"github"}, Shared: New(st), Owner: "hash-of-the-key"}), c
}

// call runs one proxy call in m's session.
func call(t *testing.T, m *session.Manager, c *client.Client) {
	t.Helper()
	ctx := t.Context()
	err := m.Run(ctx, func(id string) error {
		_, err := c.ProxyExecute(ctx, id, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two replicas serving one user create one session between them; when
// Composio reports it gone on A, A replaces it once, and B uses the new one
// without creating another.
func TestReplicasShareOneSession(t *testing.T) {
	t.Parallel()
	srv, fake := redistest.Start(t), fakeBackend(t)
	a, ca := replica(t, fake, srv)
	b, cb := replica(t, fake, srv)

	// Concurrent first calls on both replicas.
	got := make(chan string)
	for i := range 8 {
		m := []*session.Manager{a, b}[i%2]
		go func() {
			id, err := m.Current(t.Context())
			if err != nil {
				t.Error(err)
			}
			got <- id
		}()
	}
	ids := make([]string, 8)
	for i := range ids {
		ids[i] = <-got
	}
	if n := fake.SessionsCreated(); n != 1 {
		t.Fatalf("%d sessions created by two replicas for one user, want 1", n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("replicas use different sessions: %q", ids)
		}
	}

	fake.ExpireSession(ids[0])
	call(t, a, ca)
	if a.ID() == ids[0] {
		t.Fatal("A did not replace the gone session")
	}
	call(t, b, cb)
	if b.ID() != a.ID() {
		t.Errorf("B uses %q, A %q", b.ID(), a.ID())
	}
	if n := fake.SessionsCreated(); n != 2 {
		t.Errorf("%d sessions created in all, want 2: B created one of its own", n)
	}
	// The store holds the id under a hash, not the user's name.
	keys, _ := srv.Open(t).Client().Keys(t.Context(), "*").Result()
	for _, k := range keys {
		if !strings.HasPrefix(k, store.KeyPrefix+"session") || strings.Contains(k, "alice") {
			t.Errorf("store key %q", k)
		}
	}
}

// With the store down each replica works from its own memory: it creates a
// session for itself, and keeps using it.
func TestStoreDownKeepsSessionsInMemory(t *testing.T) {
	t.Parallel()
	srv, fake := redistest.Start(t), fakeBackend(t)
	a, ca := replica(t, fake, srv)
	call(t, a, ca) // a session while the store is up
	srv.Stop()
	b, cb := replica(t, fake, srv)
	for range 2 {
		call(t, a, ca)
		call(t, b, cb)
	}
	if n := fake.SessionsCreated(); n != 2 {
		t.Errorf("%d sessions created, want 2: A's, then B's own while the store is down", n)
	}
	// Back up (empty, as after a restart): A publishes its session, and a new
	// replica uses it.
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	call(t, a, ca)
	c, cc := replica(t, fake, srv)
	call(t, c, cc)
	if c.ID() != a.ID() {
		t.Errorf("after the store came back C uses %q, A %q", c.ID(), a.ID())
	}
}

// The creation lock is held by one at a time until released; a swap from a
// stale id changes nothing.
func TestLockIsExclusiveAndReleased(t *testing.T) {
	t.Parallel()
	r := New(redistest.Start(t).Open(t))
	ctx := t.Context()
	unlock, ok, err := r.Lock(ctx, "k", time.Minute)
	if err != nil || !ok {
		t.Fatalf("Lock = %v, %v", ok, err)
	}
	if _, ok, _ := r.Lock(ctx, "k", time.Minute); ok {
		t.Error("a held lock was taken again")
	}
	unlock()
	if _, ok, _ := r.Lock(ctx, "k", 50*time.Millisecond); !ok {
		t.Error("a released lock could not be taken")
	}
	if ok, err := r.CompareAndSwap(ctx, "k", "", "trs_1"); !ok || err != nil {
		t.Errorf("first swap = %v, %v", ok, err)
	}
	if ok, _ := r.CompareAndSwap(ctx, "k", "trs_0", "trs_2"); ok {
		t.Error("a swap from a stale id replaced the current one")
	}
	if id, _ := r.Load(ctx, "k"); id != "trs_1" {
		t.Errorf("Load = %q", id)
	}
}

func fakeBackend(t *testing.T) *composiotest.Server {
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	return fake
}
