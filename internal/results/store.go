// Package results keeps, in memory, the tool responses that were too large to
// return whole, and serves them back to the caller that made them, page by
// page, as MCP resources:
//
//	composio-proxy://results/{id}          the whole result
//	composio-proxy://results/{id}/{page}   page 1, 2, … of it
//
// Both are resource templates, so resources/templates/list shows them; the
// ids are random and unguessable, and a result is readable only by the
// caller whose call produced it: who that is, the Owner given to New decides.
//
//	store := results.New(results.Config{Owner: results.ProcessOwner})
//	ctx = results.WithCallHeader(ctx, req.Header) // in the tool handler
//	r := store.Keep(ctx, "github GET /user", "application/json", data, []int{0, 4096})
//	// r.URI(), r.PageURI(2): what the tool result points at
//	srv.AddResourceTemplates(store.Templates()...)
package results

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// URIPrefix starts the URI of every kept result.
const URIPrefix = "composio-proxy://results/"

// Defaults of a Store.
const (
	// DefaultMaxBytes bounds the memory all kept results take together.
	DefaultMaxBytes = 64 << 20
	// DefaultTTL is how long a result stays readable: long enough for a
	// model to page through it, short enough that data does not linger.
	DefaultTTL = 30 * time.Minute
)

// Config configures a Store; its zero value is a store of the defaults whose
// results belong to the process (ProcessOwner).
type Config struct {
	// MaxBytes bounds all kept results together; 0 means DefaultMaxBytes.
	MaxBytes int64
	// TTL is how long a result stays readable; 0 means DefaultTTL.
	TTL time.Duration
	// Owner names who a request is, from its context and HTTP headers (none
	// on stdio): a result belongs to the owner of the call that kept it, and
	// only that owner may read it. "" is nobody: a call with no owner keeps
	// nothing, and a read with none finds nothing. nil means ProcessOwner.
	Owner func(ctx context.Context, header http.Header) string
	// Now is the clock that results expire by; nil means time.Now.
	Now func() time.Time
	// Observer, when set, is told of the bytes held and of each result
	// dropped unread, for metrics.
	Observer Observer
}

// Observer is told of a Store's changes, for metrics. Its methods run with
// the store's lock held and must return quickly.
type Observer interface {
	// StoredBytes reports the bytes all kept results now hold.
	StoredBytes(n int64)
	// Evicted reports a result dropped: EvictTTL or EvictCapacity.
	Evicted(reason string)
}

// Reasons of Observer.Evicted.
const (
	// EvictTTL is a result dropped as it expired.
	EvictTTL = "ttl"
	// EvictCapacity is a result dropped to make room for a new one.
	EvictCapacity = "capacity"
)

// Store keeps the full tool results that were too large to return whole. It
// is bounded: entries expire after a TTL, and when the total size would pass
// its cap the least recently used entries go first. It is safe for
// concurrent use.
type Store struct {
	maxBytes int64
	ttl      time.Duration
	owner    func(ctx context.Context, header http.Header) string
	now      func() time.Time
	observer Observer

	mu    sync.Mutex
	lru   *list.List // of *Result, most recently used first
	byID  map[string]*list.Element
	bytes int64
}

// New returns a store configured by cfg.
func New(cfg Config) *Store {
	s := &Store{maxBytes: cfg.MaxBytes, ttl: cfg.TTL, owner: cfg.Owner, now: cfg.Now, observer: cfg.Observer, lru: list.New(), byID: map[string]*list.Element{}}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.owner == nil {
		s.owner = ProcessOwner
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// TTL is how long a stored result stays readable.
func (s *Store) TTL() time.Duration { return s.ttl }

// Result is one kept result. It never changes once stored, so it may be used
// after the store has let it go.
type Result struct {
	id      string
	owner   string // who made it (Config.Owner); never ""
	name    string // says what call it came from
	mime    string
	data    []byte
	starts  []int // offset of each page
	text    bool  // valid UTF-8: served as text, else as base64 blob
	expires time.Time
}

// Keep stores data, split into pages that start at the offsets starts (the
// first is 0), for the owner of the call with ctx (see WithCallHeader). name
// says what call it came from; mime is its media type. It returns nil, and
// keeps nothing, when s is nil, when the call has no owner, or when data
// alone is larger than the whole store.
func (s *Store) Keep(ctx context.Context, name, mime string, data []byte, starts []int) *Result {
	if s == nil {
		return nil
	}
	return s.put(s.owner(ctx, CallHeader(ctx)), name, mime, data, starts)
}

// put keeps data for owner; see Keep.
func (s *Store) put(owner, name, mime string, data []byte, starts []int) *Result {
	if owner == "" || int64(len(data)) > s.maxBytes {
		return nil
	}
	r := &Result{
		id: newID(), owner: owner, name: name, mime: mime,
		data: data, starts: starts, text: utf8.Valid(data),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r.expires = now.Add(s.ttl)
	s.expireLocked(now)
	for s.bytes+int64(len(data)) > s.maxBytes {
		s.removeLocked(s.lru.Back(), EvictCapacity)
	}
	s.byID[r.id] = s.lru.PushFront(r)
	s.bytes += int64(len(data))
	if s.observer != nil {
		s.observer.StoredBytes(s.bytes)
	}
	return r
}

// Get returns the live result named by ref, an id or a result or page URI,
// when the caller of ctx (see WithCallHeader) owns it, and marks it used.
// Another caller's result is not there, as an unknown or expired one is not.
func (s *Store) Get(ctx context.Context, ref string) (*Result, bool) {
	if s == nil {
		return nil, false
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(ref, URIPrefix), "/")
	return s.get(s.owner(ctx, CallHeader(ctx)), id)
}

// get returns the live result id if owner may read it, and marks it used.
func (s *Store) get(owner, id string) (*Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(s.now())
	e, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	r := e.Value.(*Result)
	if owner == "" || r.owner != owner {
		// Another caller's result is none of this one's business, and a
		// caller who is nobody owns nothing; say only that it is not there.
		return nil, false
	}
	s.lru.MoveToFront(e)
	return r, true
}

// expireLocked drops entries past their TTL. All entries share one TTL, so
// the oldest stored are the first to expire; but use moves entries forward,
// so every entry is checked.
func (s *Store) expireLocked(now time.Time) {
	for e := s.lru.Back(); e != nil; {
		prev := e.Prev()
		if !now.Before(e.Value.(*Result).expires) {
			s.removeLocked(e, EvictTTL)
		}
		e = prev
	}
}

func (s *Store) removeLocked(e *list.Element, reason string) {
	r := s.lru.Remove(e).(*Result)
	delete(s.byID, r.id)
	s.bytes -= int64(len(r.data))
	if s.observer != nil {
		s.observer.Evicted(reason)
		s.observer.StoredBytes(s.bytes)
	}
}

// newID is 128 random bits, in characters that a URI template variable
// matches without escaping.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ID is the result's random id, part of its URI.
func (r *Result) ID() string { return r.id }

// Name says what call the result came from.
func (r *Result) Name() string { return r.name }

// MIME is the result's media type.
func (r *Result) MIME() string { return r.mime }

// Size is the length of the whole result, in bytes.
func (r *Result) Size() int { return len(r.data) }

// Expires is when the result stops being readable.
func (r *Result) Expires() time.Time { return r.expires }

// URI is the URI of the whole result.
func (r *Result) URI() string { return URIPrefix + r.id }

// PageURI is the URI of page n, from 1.
func (r *Result) PageURI(n int) string { return r.URI() + "/" + strconv.Itoa(n) }

// Data is the whole result. It is shared, not copied: the caller must not
// change it.
func (r *Result) Data() []byte { return r.data }

// Pages is how many pages the result has.
func (r *Result) Pages() int { return len(r.starts) }

// page returns the bytes of page n, from 1.
func (r *Result) page(n int) []byte {
	end := len(r.data)
	if n < len(r.starts) {
		end = r.starts[n]
	}
	return r.data[r.starts[n-1]:end]
}
