package sessioncache

import (
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// A replica that still holds a session another replica replaced may publish
// it again once the cache entry is gone (a store restarted without
// persistence); the replica that saw it go puts its replacement back, and
// the fleet uses that one.
func TestReplacedIDIsNotRepublished(t *testing.T) {
	t.Parallel()
	srv, fake := redistest.Start(t), fakeBackend(t)
	a, ca := replica(t, fake, srv)
	b, cb := replica(t, fake, srv)
	call(t, a, ca)
	call(t, b, cb)
	s1 := a.ID()
	fake.ExpireSession(s1)
	call(t, b, cb) // B replaces S1 with S2 for the fleet
	s2 := b.ID()
	// A has made no call since: it still holds S1 in memory.
	srv.Open(t).Client().FlushDB(t.Context())
	_, _ = a.Current(t.Context()) // A cannot know S1 is gone, and publishes it
	if id, _ := b.Current(t.Context()); id != s2 {
		t.Errorf("B adopted %q (the dead session A republished), had %q", id, s2)
	}
	if id, _ := a.Current(t.Context()); id != s2 {
		t.Errorf("A uses %q after B saw its dead %q, want B's %q", id, s1, s2)
	}
	if n := fake.SessionsCreated(); n != 2 {
		t.Errorf("%d sessions created, want 2", n)
	}
}

// Reading a session id renews its TTL: an id in use never runs out of the
// cache.
func TestLoadRenewsTheTTL(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := srv.Open(t)
	r := New(st)
	ctx := t.Context()
	if ok, err := r.CompareAndSwap(ctx, "k", "", "trs_1"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	st.Client().PExpire(ctx, idKey("k"), time.Minute)
	if id, err := r.Load(ctx, "k"); id != "trs_1" || err != nil {
		t.Fatal(id, err)
	}
	if left := st.Client().PTTL(ctx, idKey("k")).Val(); left < TTL-time.Minute {
		t.Errorf("TTL after a Load: %s, want about %s", left, TTL)
	}
}
