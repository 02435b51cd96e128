package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// fakeClock is a settable clock for the store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestStore(maxBytes int64, ttl time.Duration) (*ResultStore, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := NewResultStore(maxBytes, ttl)
	s.now = clock.now
	return s, clock
}

func TestResultStoreEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(100, time.Hour)
	a := s.put("s1", "a", "text/plain", bytes.Repeat([]byte("a"), 40), []int{0})
	b := s.put("s1", "b", "text/plain", bytes.Repeat([]byte("b"), 40), []int{0})
	if _, ok := s.get("s1", a.id); !ok { // a is now the most recently used
		t.Fatal("a is missing")
	}
	c := s.put("s1", "c", "text/plain", bytes.Repeat([]byte("c"), 40), []int{0})
	if _, ok := s.get("s1", b.id); ok {
		t.Error("b, the least recently used, was not evicted")
	}
	for _, r := range []*storedResult{a, c} {
		if _, ok := s.get("s1", r.id); !ok {
			t.Errorf("%s was evicted", r.name)
		}
	}
	if s.bytes != 80 {
		t.Errorf("bytes = %d, want 80", s.bytes)
	}
	if big := s.put("s1", "big", "text/plain", make([]byte, 101), []int{0}); big != nil {
		t.Error("an entry larger than the whole store was kept")
	}
}

func TestResultStoreExpires(t *testing.T) {
	t.Parallel()
	s, clock := newTestStore(0, time.Minute)
	r := s.put("s1", "r", "text/plain", []byte("hello"), []int{0})
	clock.advance(59 * time.Second)
	if _, ok := s.get("s1", r.id); !ok {
		t.Fatal("gone before its TTL")
	}
	clock.advance(time.Second)
	if _, ok := s.get("s1", r.id); ok {
		t.Fatal("still there after its TTL")
	}
	if s.bytes != 0 || s.lru.Len() != 0 {
		t.Errorf("expired entry still counted: %d bytes, %d entries", s.bytes, s.lru.Len())
	}
}

// TestResultStoreIsPerOwner: a result made by one owner cannot be read by
// another, nor by a caller who is nobody (""), who see the same answer as
// for an unknown id; and nobody keeps nothing.
func TestResultStoreIsPerOwner(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(0, 0)
	r := s.put("session-1", "r", "text/plain", []byte("secret"), []int{0})
	if _, ok := s.get("session-2", r.id); ok {
		t.Error("another session read the result")
	}
	if _, ok := s.get("", r.id); ok {
		t.Error("a caller without a session read the result")
	}
	if _, ok := s.get("session-1", r.id); !ok {
		t.Error("the owner cannot read its result")
	}
	if r := s.put("", "r", "text/plain", []byte("secret"), []int{0}); r != nil {
		t.Error("a result without an owner was kept")
	}
}

// A store whose Owner says nobody serves nothing, whatever the id: the read
// fails as for an unknown id.
func TestResultStoreReadByNobody(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(0, 0)
	owner := "caller-a"
	s.Owner = func(context.Context, http.Header) string { return owner }
	r := s.put("caller-a", "r", "text/plain", []byte("secret"), []int{0})
	var req mcp.ReadResourceRequest
	req.Params.URI = r.uri()
	if _, err := s.read(context.Background(), req); err != nil {
		t.Fatalf("the owner's read: %v", err)
	}
	for _, owner = range []string{"caller-b", ""} {
		_, err := s.read(context.Background(), req)
		if !errors.Is(err, errResultGone) || !errors.Is(err, server.ErrResourceNotFound) {
			t.Errorf("read as %q: %v, want the unknown-id answer", owner, err)
		}
	}
}

func TestResultStoreServesBlobsForNonUTF8(t *testing.T) {
	t.Parallel()
	s, _ := newTestStore(0, 0)
	data := []byte("ab\xffcd\xfe")
	r := s.put(processOwner, "bin", "application/octet-stream", data, []int{0, 3})
	var req mcp.ReadResourceRequest
	req.Params.URI = r.pageURI(2)
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

func TestResultTemplatesDescribeTheScheme(t *testing.T) {
	t.Parallel()
	if NewResultStore(0, 0).Templates() == nil || (*ResultStore)(nil).Templates() != nil {
		t.Fatal("templates")
	}
	var raws []string
	for _, tpl := range NewResultStore(0, 0).Templates() {
		raws = append(raws, tpl.Template.URITemplate.Raw())
	}
	if strings.Join(raws, " ") != "composio-proxy://results/{id} composio-proxy://results/{id}/{page}" {
		t.Errorf("templates = %v", raws)
	}
}
