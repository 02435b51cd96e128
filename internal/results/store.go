// Package results keeps the tool responses that were too large to return
// whole, and serves them back to the caller that made them, page by page,
// as MCP resources:
//
//	composio-proxy://results/{id}          the whole result
//	composio-proxy://results/{id}/{page}   page 1, 2, … of it
//
// Both are resource templates, so resources/templates/list shows them; the
// ids are random and unguessable, and a result is readable only by the
// caller whose call produced it: who that is, the Owner given to New decides.
//
// Results live in memory (the default, bounded), or in the Redis a fleet of
// replicas shares (Config.Redis), so that a result cut on one replica is
// read on any other. A store that is down makes Keep and Get fail with an
// error that Is store.ErrUnavailable; they never wait past the store's
// command bound or the call's context.
//
//	st := results.New(results.Config{Owner: results.ProcessOwner})
//	ctx = results.WithCallHeader(ctx, req.Header) // in the tool handler
//	r, err := st.Keep(ctx, "github GET /user", "application/json", data, []int{0, 4096})
//	// r.URI(), r.PageURI(2): what the tool result points at
//	srv.AddResourceTemplates(st.Templates()...)
package results

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// URIPrefix starts the URI of every kept result.
const URIPrefix = "composio-proxy://results/"

// UnavailableText is what a caller is told when the results store does not
// answer: the call may be retried, and nothing else is wrong.
const UnavailableText = "results store unavailable, retry in a few seconds"

// Defaults of a Store.
const (
	// DefaultMaxBytes bounds the memory all kept results take together.
	DefaultMaxBytes = 64 << 20
	// DefaultQuotaPerCaller bounds what one caller's results take, so that
	// one caller's large responses do not evict everyone else's.
	DefaultQuotaPerCaller = 16 << 20
	// DefaultTTL is how long a result stays readable: long enough for a
	// model to page through it, short enough that data does not linger.
	DefaultTTL = 30 * time.Minute
)

// Config configures a Store; its zero value is an in-memory store of the
// defaults whose results belong to the process (ProcessOwner).
type Config struct {
	// MaxBytes bounds all kept results together, in memory; 0 means
	// DefaultMaxBytes. A Redis store is bounded by its own maxmemory.
	MaxBytes int64
	// QuotaPerCaller bounds one owner's results together; 0 means
	// DefaultQuotaPerCaller, and in memory it is at most MaxBytes. When a
	// result would pass it, that owner's oldest results go first.
	QuotaPerCaller int64
	// TTL is how long a result stays readable; 0 means DefaultTTL.
	TTL time.Duration
	// Owner names who a request is, from its context and HTTP headers (none
	// on stdio): a result belongs to the owner of the call that kept it, and
	// only that owner may read it. "" is nobody: a call with no owner keeps
	// nothing, and a read with none finds nothing. nil means ProcessOwner.
	Owner func(ctx context.Context, header http.Header) string
	// Now is the clock that in-memory results expire by; nil means
	// time.Now. Redis expires keys by its own clock.
	Now func() time.Time
	// Redis, when set, keeps the results there instead of in memory.
	Redis *store.Redis
	// Observer, when set, is told of the bytes held in memory and of each
	// result dropped unread, for metrics. A Redis store is observed through
	// Redis itself (INFO memory, evicted_keys).
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

// backend holds the results of a Store.
type backend interface {
	// keep stores r, evicting its owner's oldest results when r would pass
	// the owner's quota; false when r is larger than the quota. It sets
	// r.expires.
	keep(ctx context.Context, r *Result) (bool, error)
	// load returns owner's live result id with the bytes of page n (from
	// 1), or all of them when n is 0; ok is false when there is none, or no
	// page n.
	load(ctx context.Context, owner, id string, n int) (r *Result, b []byte, ok bool, err error)
}

// Store keeps the full tool results that were too large to return whole. It
// is bounded: entries expire after a TTL, and each owner has a byte quota.
// It is safe for concurrent use.
type Store struct {
	ttl   time.Duration
	owner func(ctx context.Context, header http.Header) string
	b     backend
}

// New returns a store configured by cfg.
func New(cfg Config) *Store {
	cfg.MaxBytes = positiveOr(cfg.MaxBytes, DefaultMaxBytes)
	cfg.QuotaPerCaller = positiveOr(cfg.QuotaPerCaller, DefaultQuotaPerCaller)
	cfg.TTL = positiveOr(cfg.TTL, DefaultTTL)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{ttl: cfg.TTL, owner: cfg.Owner}
	if s.owner == nil {
		s.owner = ProcessOwner
	}
	if cfg.Redis != nil {
		s.b = newRedisBackend(cfg.Redis, cfg.QuotaPerCaller, cfg.TTL)
	} else {
		s.b = newMemory(cfg.MaxBytes, min(cfg.QuotaPerCaller, cfg.MaxBytes), cfg.TTL, cfg.Now, cfg.Observer)
	}
	return s
}

// positiveOr is v, or def when v is not positive (unset).
func positiveOr[T int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
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
	data    []byte // nil when only a page was read
	size    int
	starts  []int // offset of each page
	text    bool  // valid UTF-8: served as text, else as base64 blob
	expires time.Time
}

// Keep stores data, split into pages that start at the offsets starts (the
// first is 0), for the owner of the call with ctx (see WithCallHeader). name
// says what call it came from; mime is its media type. It returns nil, and
// keeps nothing, when s is nil, when the call has no owner, or when data
// alone is larger than an owner may keep; an error, which Is
// store.ErrUnavailable, when the store did not answer.
func (s *Store) Keep(ctx context.Context, name, mime string, data []byte, starts []int) (*Result, error) {
	if s == nil {
		return nil, nil
	}
	return s.put(ctx, s.owner(ctx, CallHeader(ctx)), name, mime, data, starts)
}

// put keeps data for owner; see Keep.
func (s *Store) put(ctx context.Context, owner, name, mime string, data []byte, starts []int) (*Result, error) {
	if owner == "" {
		return nil, nil
	}
	r := &Result{
		id: newID(), owner: owner, name: name, mime: mime,
		data: data, size: len(data), starts: starts, text: utf8.Valid(data),
	}
	ok, err := s.b.keep(ctx, r)
	if !ok || err != nil {
		return nil, err
	}
	return r, nil
}

// Get returns the live result named by ref, an id or a result or page URI,
// when the caller of ctx (see WithCallHeader) owns it. Another caller's
// result is not there, as an unknown or expired one is not. The error Is
// store.ErrUnavailable when the store did not answer.
func (s *Store) Get(ctx context.Context, ref string) (*Result, bool, error) {
	if s == nil {
		return nil, false, nil
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(ref, URIPrefix), "/")
	return s.get(ctx, s.owner(ctx, CallHeader(ctx)), id)
}

// get returns the live result id, whole, if owner may read it.
func (s *Store) get(ctx context.Context, owner, id string) (*Result, bool, error) {
	if owner == "" || !validID(id) {
		// A caller who is nobody owns nothing.
		return nil, false, nil
	}
	r, _, ok, err := s.b.load(ctx, owner, id, 0)
	return r, ok, err
}

// newID is 128 random bits, in characters that a URI template variable
// matches without escaping.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validID reports whether id could be one newID made: anything else names
// no result, and never reaches a store key.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// ID is the result's random id, part of its URI.
func (r *Result) ID() string { return r.id }

// Name says what call the result came from.
func (r *Result) Name() string { return r.name }

// MIME is the result's media type.
func (r *Result) MIME() string { return r.mime }

// Size is the length of the whole result, in bytes.
func (r *Result) Size() int { return r.size }

// Expires is when the result stops being readable.
func (r *Result) Expires() time.Time { return r.expires }

// URI is the URI of the whole result.
func (r *Result) URI() string { return URIPrefix + r.id }

// PageURI is the URI of page n, from 1.
func (r *Result) PageURI(n int) string { return r.URI() + "/" + strconv.Itoa(n) }

// Data is the whole result, as Keep and Get return it. It is shared, not
// copied: the caller must not change it.
func (r *Result) Data() []byte { return r.data }

// Pages is how many pages the result has.
func (r *Result) Pages() int { return len(r.starts) }

// pageRange is where page n (from 1) is in the data: [start, end).
func (r *Result) pageRange(n int) (start, end int) {
	end = r.size
	if n < len(r.starts) {
		end = r.starts[n]
	}
	return r.starts[n-1], end
}
