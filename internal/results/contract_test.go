package results

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// kit is one backend under the contract: a store of cfg, and a way to let
// its results' TTL pass.
type kit struct {
	store  *Store
	expire func()
}

// backendKit makes a store for the contract; ttl is 0 for the default.
type backendKit struct {
	name string
	make func(t *testing.T, cfg Config) kit
}

// backends are the backends every contract case runs against: memory with
// an injected clock, and a real Redis with a short TTL.
func backends() []backendKit {
	return []backendKit{
		{"memory", func(t *testing.T, cfg Config) kit {
			c := &clock{}
			c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
			cfg.Now = c.now
			s := New(cfg)
			return kit{s, func() { c.advance(s.TTL()) }}
		}},
		{"redis", func(t *testing.T, cfg Config) kit {
			srv := redistest.Start(t)
			st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			cfg.Redis = st
			if cfg.TTL == 0 {
				cfg.TTL = 300 * time.Millisecond
			}
			s := New(cfg)
			return kit{s, func() { time.Sleep(s.TTL() + 100*time.Millisecond) }}
		}},
	}
}

// as is a call context of caller who.
func as(who string) context.Context {
	return WithCallHeader(context.Background(), http.Header{"X-Caller": {who}})
}

func byCaller(_ context.Context, h http.Header) string { return h.Get("X-Caller") }

// readURI is resources/read of uri as caller who.
func readURI(s *Store, who, uri string) ([]mcp.ResourceContents, error) {
	var req mcp.ReadResourceRequest
	req.Params.URI, req.Header = uri, http.Header{"X-Caller": {who}}
	return s.read(context.Background(), req)
}

func textOf(t *testing.T, c []mcp.ResourceContents) string {
	t.Helper()
	if len(c) != 1 {
		t.Fatalf("%d contents", len(c))
	}
	tc, ok := c[0].(mcp.TextResourceContents)
	if !ok {
		t.Fatalf("content %T", c[0])
	}
	return tc.Text
}

var contract = []struct {
	name string
	cfg  Config
	test func(t *testing.T, k kit)
}{
	{"keep and get", Config{}, func(t *testing.T, k kit) {
		r := keep(t, k.store, as("a"), "gh GET /x", "application/json", []byte(`{"a":1}`), []int{0})
		got, ok := getRef(t, k.store, as("a"), r.URI())
		if !ok || string(got.Data()) != `{"a":1}` || got.Name() != "gh GET /x" || got.MIME() != "application/json" || got.Size() != 7 || got.Pages() != 1 {
			t.Fatalf("got %+v, %v", got, ok)
		}
		if d := got.Expires().Sub(r.Expires()); d < -time.Second || d > time.Second {
			t.Errorf("expires %s, kept with %s", got.Expires(), r.Expires())
		}
		if _, ok := getRef(t, k.store, as("a"), "0123456789abcdef0123456789abcdef"); ok {
			t.Error("an unknown id was found")
		}
		if _, ok := getRef(t, k.store, as("a"), "x:*"); ok {
			t.Error("a malformed id was found")
		}
	}},
	{"ttl expiry", Config{}, func(t *testing.T, k kit) {
		r := keep(t, k.store, as("a"), "r", "text/plain", []byte("hello"), []int{0})
		k.expire()
		if _, ok := getRef(t, k.store, as("a"), r.ID()); ok {
			t.Error("still there after its TTL")
		}
		if _, err := readURI(k.store, "a", r.URI()); !errors.Is(err, errGone) {
			t.Errorf("read after the TTL: %v", err)
		}
	}},
	{"per owner isolation", Config{}, func(t *testing.T, k kit) {
		r := keep(t, k.store, as("a"), "r", "text/plain", []byte("secret"), []int{0})
		for _, who := range []string{"b", ""} {
			if _, ok := getRef(t, k.store, as(who), r.ID()); ok {
				t.Errorf("%q got a's result", who)
			}
			if _, err := readURI(k.store, who, r.URI()); !errors.Is(err, errGone) {
				t.Errorf("%q read a's result: %v", who, err)
			}
		}
		if keep(t, k.store, as(""), "r", "text/plain", []byte("x"), []int{0}) != nil {
			t.Error("nobody kept a result")
		}
	}},
	{"quota evicts the owner's oldest", Config{QuotaPerCaller: 100}, func(t *testing.T, k kit) {
		blob := func(c byte) []byte { return bytes.Repeat([]byte{c}, 40) }
		a1 := keep(t, k.store, as("a"), "a1", "text/plain", blob('1'), []int{0})
		a2 := keep(t, k.store, as("a"), "a2", "text/plain", blob('2'), []int{0})
		b1 := keep(t, k.store, as("b"), "b1", "text/plain", blob('3'), []int{0})
		b2 := keep(t, k.store, as("b"), "b2", "text/plain", blob('4'), []int{0})
		a3 := keep(t, k.store, as("a"), "a3", "text/plain", blob('5'), []int{0})
		want := map[*Result]struct {
			who  string
			live bool
		}{a1: {"a", false}, a2: {"a", true}, a3: {"a", true}, b1: {"b", true}, b2: {"b", true}}
		for r, w := range want {
			if _, ok := getRef(t, k.store, as(w.who), r.ID()); ok != w.live {
				t.Errorf("%s live = %v, want %v", r.Name(), ok, w.live)
			}
		}
	}},
	{"too large refused", Config{QuotaPerCaller: 100}, func(t *testing.T, k kit) {
		if r := keep(t, k.store, as("a"), "big", "text/plain", make([]byte, 101), []int{0}); r != nil {
			t.Error("a result larger than the quota was kept")
		}
		if r := keep(t, k.store, as("a"), "fits", "text/plain", make([]byte, 100), []int{0}); r == nil {
			t.Error("a result of the quota was refused")
		}
	}},
	{"pages", Config{}, func(t *testing.T, k kit) {
		data := []byte(`["aaaa","bbbb","cc"]`)
		r := keep(t, k.store, as("a"), "r", "application/json", data, []int{0, 8, 15})
		var joined strings.Builder
		for n := 1; n <= r.Pages(); n++ {
			c, err := readURI(k.store, "a", r.PageURI(n))
			if err != nil {
				t.Fatal(err)
			}
			joined.WriteString(textOf(t, c))
		}
		if joined.String() != string(data) {
			t.Errorf("pages join into %q", joined.String())
		}
		c, err := readURI(k.store, "a", r.URI())
		if err != nil || textOf(t, c) != string(data) {
			t.Errorf("whole: %v", err)
		}
		for _, bad := range []string{"0", "4", "x"} {
			if _, err := readURI(k.store, "a", r.URI()+"/"+bad); err == nil || !strings.Contains(err.Error(), "pages 1 to 3") {
				t.Errorf("page %s: %v", bad, err)
			}
		}
	}},
}

// TestContract runs every case against both backends.
func TestContract(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) {
					cfg := c.cfg
					cfg.Owner = byCaller
					c.test(t, b.make(t, cfg))
				})
			}
		})
	}
}

// A Redis that stops answering makes Keep, Get and reads fail with
// ErrUnavailable within the command bound; back (empty, as after a
// restart), it serves new results again without a new Store.
func TestRedisDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const bound = 500 * time.Millisecond
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(Config{Redis: st, Owner: byCaller})
	old := keep(t, s, as("a"), "r", "text/plain", []byte("before"), []int{0})

	srv.Stop()
	start := time.Now()
	if r, err := s.Keep(as("a"), "r", "text/plain", []byte("x"), []int{0}); r != nil || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Keep with the store down = %v, %v", r, err)
	}
	if _, ok, err := s.Get(as("a"), old.ID()); ok || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get with the store down = %v, %v", ok, err)
	}
	if _, err := readURI(s, "a", old.URI()); err == nil || !strings.Contains(err.Error(), UnavailableText) || strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("read with the store down: %v", err)
	}
	// Three commands, each within its bound (and one retry of the dial).
	if d := time.Since(start); d > 6*bound {
		t.Errorf("the three calls took %s with a bound of %s each", d, bound)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, ok := getRef(t, s, as("a"), old.ID()); ok {
		t.Error("a result survived a restart without persistence")
	}
	r := keep(t, s, as("a"), "r", "text/plain", []byte("after"), []int{0})
	if got, ok := getRef(t, s, as("a"), r.ID()); !ok || string(got.Data()) != "after" {
		t.Errorf("after the restart: %v, %v", got, ok)
	}
}

// A call whose context ends gives up at once, whatever the store's bound.
func TestRedisHonoursTheCallContext(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(Config{Redis: st})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Keep(ctx, "r", "text/plain", []byte("x"), []int{0}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Keep with an ended context: %v", err)
	}
}

// Keys name a hash of the owner, never the owner.
func TestRedisKeysHideTheOwner(t *testing.T) {
	t.Parallel()
	b := newRedisBackend(nil, 1, time.Second)
	p := b.prefix("alice@example.com")
	if strings.Contains(p, "alice") || !strings.HasPrefix(p, store.KeyPrefix+"results:{") || p == b.prefix("bob") {
		t.Errorf("prefix %q", p)
	}
}

// Results kept in quick succession are evicted in the order kept, never by
// chance: the index orders them strictly.
func TestRedisEvictsInKeepingOrder(t *testing.T) {
	t.Parallel()
	k := backends()[1].make(t, Config{QuotaPerCaller: 10, TTL: time.Minute})
	var kept []*Result
	for range 30 {
		kept = append(kept, keep(t, k.store, context.Background(), "r", "text/plain", []byte("x"), []int{0}))
	}
	for i, r := range kept {
		if _, ok := getRef(t, k.store, context.Background(), r.ID()); ok != (i >= 20) {
			t.Errorf("result %d live = %v", i, ok)
		}
	}
}

// A result whose bytes are gone from the store (evicted under maxmemory,
// which volatile-ttl allows, or expired between two reads) is not found:
// neither a page read nor resources/read serves an empty page for it.
func TestRedisPageOfMissingDataIsNotFound(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := srv.Open(t)
	s := New(Config{Redis: st, TTL: time.Minute})
	ctx := context.Background()
	r, err := s.Keep(ctx, "r", "text/plain", []byte("aaaabbbb"), []int{0, 4})
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	b := s.b.(*redisBackend)
	if _, data, ok, err := b.load(ctx, processOwner, r.ID(), 2); !ok || string(data) != "bbbb" || err != nil {
		t.Fatalf("page 2 before: %q %v %v", data, ok, err)
	}
	if err := st.Client().Del(ctx, b.prefix(processOwner)+r.ID()+":data").Err(); err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		if got, data, ok, err := b.load(ctx, processOwner, r.ID(), n); ok || err != nil {
			t.Errorf("page %d of a result whose bytes are gone served: %q (result %v, err %v)", n, data, got != nil, err)
		}
	}
	if res, err := s.read(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: r.PageURI(1)}}); err == nil {
		t.Errorf("resources/read of page 1 served %+v", res)
	}
}
