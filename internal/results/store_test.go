package results

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// clock is a settable clock for the store: the test moves it.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newTestStore(maxBytes int64, ttl time.Duration) (*Store, *clock) {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return New(Config{MaxBytes: maxBytes, TTL: ttl, Now: c.now}), c
}

func TestStoreEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(100, time.Hour)
	a := put(t, s, "s1", "a", "text/plain", bytes.Repeat([]byte("a"), 40), []int{0})
	b := put(t, s, "s1", "b", "text/plain", bytes.Repeat([]byte("b"), 40), []int{0})
	if _, ok := get(t, s, "s1", a.id); !ok { // a is now the most recently used
		t.Fatal("a is missing")
	}
	c := put(t, s, "s1", "c", "text/plain", bytes.Repeat([]byte("c"), 40), []int{0})
	if _, ok := get(t, s, "s1", b.id); ok {
		t.Error("b, the least recently used, was not evicted")
	}
	for _, r := range []*Result{a, c} {
		if _, ok := get(t, s, "s1", r.id); !ok {
			t.Errorf("%s was evicted", r.name)
		}
	}
	if mem(s).bytes != 80 {
		t.Errorf("bytes = %d, want 80", mem(s).bytes)
	}
	if big := put(t, s, "s1", "big", "text/plain", make([]byte, 101), []int{0}); big != nil {
		t.Error("an entry larger than the whole store was kept")
	}
}

func TestStoreExpires(t *testing.T) {
	t.Parallel()
	s, clock := newTestStore(0, time.Minute)
	r := put(t, s, "s1", "r", "text/plain", []byte("hello"), []int{0})
	clock.advance(59 * time.Second)
	if _, ok := get(t, s, "s1", r.id); !ok {
		t.Fatal("gone before its TTL")
	}
	clock.advance(time.Second)
	if _, ok := get(t, s, "s1", r.id); ok {
		t.Fatal("still there after its TTL")
	}
	if mem(s).bytes != 0 || mem(s).lru.Len() != 0 {
		t.Errorf("expired entry still counted: %d bytes, %d entries", mem(s).bytes, mem(s).lru.Len())
	}
}

// TestResultStoreIsPerOwner: a result made by one owner cannot be read by
// another, nor by a caller who is nobody (""), who see the same answer as
// for an unknown id; and nobody keeps nothing.
func TestStoreIsPerOwner(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(0, 0)
	r := put(t, s, "session-1", "r", "text/plain", []byte("secret"), []int{0})
	if _, ok := get(t, s, "session-2", r.id); ok {
		t.Error("another session read the result")
	}
	if _, ok := get(t, s, "", r.id); ok {
		t.Error("a caller without a session read the result")
	}
	if _, ok := get(t, s, "session-1", r.id); !ok {
		t.Error("the owner cannot read its result")
	}
	if r := put(t, s, "", "r", "text/plain", []byte("secret"), []int{0}); r != nil {
		t.Error("a result without an owner was kept")
	}
}

// A store whose Owner says nobody serves nothing, whatever the id: the read
// fails as for an unknown id.
func TestStoreReadByNobody(t *testing.T) {
	t.Parallel()
	owner := "caller-a"
	s := New(Config{Owner: func(context.Context, http.Header) string { return owner }})
	r := put(t, s, "caller-a", "r", "text/plain", []byte("secret"), []int{0})
	var req mcp.ReadResourceRequest
	req.Params.URI = r.URI()
	if _, err := s.read(context.Background(), req); err != nil {
		t.Fatalf("the owner's read: %v", err)
	}
	for _, owner = range []string{"caller-b", ""} {
		_, err := s.read(context.Background(), req)
		if !errors.Is(err, errGone) || !errors.Is(err, server.ErrResourceNotFound) {
			t.Errorf("read as %q: %v, want the unknown-id answer", owner, err)
		}
	}
}

func TestStoreServesBlobsForNonUTF8(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(0, 0)
	data := []byte("ab\xffcd\xfe")
	r := put(t, s, processOwner, "bin", "application/octet-stream", data, []int{0, 3})
	var req mcp.ReadResourceRequest
	req.Params.URI = r.PageURI(2)
	got, err := s.read(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	blob, ok := got[0].(mcp.BlobResourceContents)
	if !ok {
		t.Fatalf("content = %T", got[0])
	}
	if b, _ := base64.StdEncoding.DecodeString(blob.Blob); !bytes.Equal(b, data[3:]) {
		t.Errorf("page 2 = %q, want %q", b, data[3:])
	}
	if blob.Meta["next"] != nil || blob.Meta["pages"] != 2 {
		t.Errorf("meta = %v", blob.Meta)
	}
}

func TestTemplatesDescribeTheScheme(t *testing.T) {
	t.Parallel()
	if New(Config{}).Templates() == nil || (*Store)(nil).Templates() != nil {
		t.Fatal("templates")
	}
	var raws []string
	for _, tpl := range New(Config{}).Templates() {
		raws = append(raws, tpl.Template.URITemplate.Raw())
	}
	if strings.Join(raws, " ") != "composio-proxy://results/{id} composio-proxy://results/{id}/{page}" {
		t.Errorf("templates = %v", raws)
	}
}

// Keep gives a result the owner that the call's headers name, and a read
// with other headers finds nothing.
func TestKeepOwnsByCallHeader(t *testing.T) {
	t.Parallel()
	s := New(Config{Owner: func(_ context.Context, h http.Header) string { return h.Get("X-Caller") }})
	call := func(who string) context.Context {
		return WithCallHeader(context.Background(), http.Header{"X-Caller": {who}})
	}
	r := keep(t, s, call("alice"), "r", "application/json", []byte(`{"a":1}`), []int{0})
	if r == nil || r.owner != "alice" || r.Name() != "r" || r.MIME() != "application/json" || r.Size() != 7 || r.Pages() != 1 || r.ID() == "" {
		t.Fatalf("kept %+v", r)
	}
	if r := keep(t, s, context.Background(), "r", "text/plain", []byte("x"), []int{0}); r != nil {
		t.Error("a call without headers, so without an owner, kept a result")
	}
	if r := keep(t, (*Store)(nil), call("alice"), "r", "text/plain", []byte("x"), []int{0}); r != nil {
		t.Error("a nil store kept a result")
	}
	for who, want := range map[string]bool{"alice": true, "bob": false, "": false} {
		var req mcp.ReadResourceRequest
		req.Params.URI, req.Header = r.URI(), http.Header{"X-Caller": {who}}
		if _, err := s.read(context.Background(), req); (err == nil) != want {
			t.Errorf("read as %q: %v", who, err)
		}
	}
}

func TestCallHeader(t *testing.T) {
	t.Parallel()
	if h := CallHeader(context.Background()); h != nil {
		t.Errorf("a bare context carries %v", h)
	}
	h := http.Header{"X-A": {"1"}}
	if got := CallHeader(WithCallHeader(context.Background(), h)); got.Get("X-A") != "1" {
		t.Errorf("CallHeader = %v", got)
	}
}

// By default what a call keeps belongs to the process, and the defaults
// apply.
func TestDefaults(t *testing.T) {
	t.Parallel()
	if got := ProcessOwner(context.Background(), nil); got != processOwner {
		t.Errorf("ProcessOwner = %q, want %q", got, processOwner)
	}
	s := New(Config{})
	if s.TTL() != DefaultTTL || mem(s).maxBytes != DefaultMaxBytes {
		t.Errorf("ttl %s, max %d", s.TTL(), mem(s).maxBytes)
	}
	before := time.Now()
	r := keep(t, s, context.Background(), "r", "text/plain", []byte("x"), []int{0})
	if r == nil || r.Expires().Before(before.Add(DefaultTTL)) {
		t.Errorf("kept %+v", r)
	}
}

// idSession is an MCP session that has only an id.
type idSession struct{ id string }

func (idSession) Initialize()                                         {}
func (idSession) Initialized() bool                                   { return true }
func (idSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return nil }
func (s idSession) SessionID() string                                 { return s.id }

// A result kept in one MCP session is found again, by id or URI, from
// another session of the same server: results belong to the caller, not to
// the session (a client may open a session per call).
func TestDefaultOwnerOutlivesTheSession(t *testing.T) {
	t.Parallel()
	srv := server.NewMCPServer("t", "0")
	s := New(Config{})
	one := srv.WithContext(context.Background(), idSession{"one"})
	two := srv.WithContext(context.Background(), idSession{"two"})
	r := keep(t, s, one, "r", "application/json", []byte(`{"a":1}`), []int{0})
	for _, ref := range []string{r.ID(), r.URI(), r.PageURI(1)} {
		got, ok := getRef(t, s, two, ref)
		if !ok || string(got.Data()) != `{"a":1}` {
			t.Errorf("Get(%q) from another session = %v, %v", ref, got, ok)
		}
	}
	if _, ok := getRef(t, s, two, "0123"); ok {
		t.Error("an unknown id was found")
	}
	var nilStore *Store
	if _, ok := getRef(t, nilStore, one, r.ID()); ok {
		t.Error("a nil store found a result")
	}
}

// Get enforces the owner as reads do: another caller finds nothing.
func TestGetIsPerOwner(t *testing.T) {
	t.Parallel()
	s := New(Config{Owner: func(_ context.Context, h http.Header) string { return h.Get("X-Caller") }})
	a := WithCallHeader(context.Background(), http.Header{"X-Caller": {"a"}})
	b := WithCallHeader(context.Background(), http.Header{"X-Caller": {"b"}})
	r := keep(t, s, a, "r", "application/json", []byte(`1`), []int{0})
	if _, ok := getRef(t, s, b, r.ID()); ok {
		t.Error("another caller got the result")
	}
	if _, ok := getRef(t, s, context.Background(), r.ID()); ok {
		t.Error("nobody got the result")
	}
	if _, ok := getRef(t, s, a, r.ID()); !ok {
		t.Error("the owner did not get its result")
	}
}

// put keeps data for owner in s, failing t on a store error.
func put(t *testing.T, s *Store, owner, name, mime string, data []byte, starts []int) *Result {
	t.Helper()
	r, err := s.put(context.Background(), owner, name, mime, data, starts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// get reads owner's result id from s, failing t on a store error.
func get(t *testing.T, s *Store, owner, id string) (*Result, bool) {
	t.Helper()
	r, ok, err := s.get(context.Background(), owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return r, ok
}

// keep is Keep, failing t on a store error.
func keep(t *testing.T, s *Store, ctx context.Context, name, mime string, data []byte, starts []int) *Result {
	t.Helper()
	r, err := s.Keep(ctx, name, mime, data, starts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// getRef is Get, failing t on a store error.
func getRef(t *testing.T, s *Store, ctx context.Context, ref string) (*Result, bool) {
	t.Helper()
	r, ok, err := s.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return r, ok
}

// mem is the memory backend of s.
func mem(s *Store) *memory { return s.b.(*memory) }
