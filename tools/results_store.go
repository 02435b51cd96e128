package tools

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Results are kept as MCP resources under this scheme:
//
//	composio-proxy://results/{id}          the whole result
//	composio-proxy://results/{id}/{page}   page 1, 2, … of it
//
// Both are resource templates, so resources/templates/list shows them; the
// ids are random and unguessable, and a result is readable only by the
// caller whose call produced it (see ResultStore.Owner).
const (
	// ResultsURIPrefix starts the URI of every kept result.
	ResultsURIPrefix = "composio-proxy://results/"
	resultTemplate   = ResultsURIPrefix + "{id}"
	pageTemplate     = ResultsURIPrefix + "{id}/{page}"
)

// Defaults of a ResultStore.
const (
	// DefaultResultStoreBytes bounds the memory all kept results take together.
	DefaultResultStoreBytes = 64 << 20
	// DefaultResultTTL is how long a result stays readable: long enough for a
	// model to page through it, short enough that data does not linger.
	DefaultResultTTL = 30 * time.Minute
)

// ResultStore keeps, in memory, the full tool results that were too large to
// return whole, so that a client can read them page by page as MCP resources.
// It is bounded: entries expire after a TTL, and when the total size would
// pass its cap the least recently used entries go first. It is safe for
// concurrent use.
type ResultStore struct {
	// Owner names who a request is, from its context and HTTP headers (none
	// on stdio): a result belongs to the owner of the call that kept it, and
	// only that owner may read it. "" is nobody: a call with no owner keeps
	// nothing, and a read with none finds nothing. nil means SessionOwner.
	// Set it before the store is used.
	Owner func(ctx context.Context, header http.Header) string

	maxBytes int64
	ttl      time.Duration
	now      func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *storedResult, most recently used first
	byID  map[string]*list.Element
	bytes int64
}

// storedResult is one kept result. Its fields never change once stored, so
// readers may use it after the store's lock is released.
type storedResult struct {
	id      string
	owner   string // who made it (ResultStore.Owner); never ""
	name    string // says what call it came from
	mime    string
	data    []byte
	starts  []int // offset of each page
	text    bool  // valid UTF-8: served as text, else as base64 blob
	expires time.Time
}

// NewResultStore returns a store of at most maxBytes in all (0 means
// DefaultResultStoreBytes) whose entries live for ttl (0 means
// DefaultResultTTL).
func NewResultStore(maxBytes int64, ttl time.Duration) *ResultStore {
	if maxBytes <= 0 {
		maxBytes = DefaultResultStoreBytes
	}
	if ttl <= 0 {
		ttl = DefaultResultTTL
	}
	return &ResultStore{maxBytes: maxBytes, ttl: ttl, now: time.Now, lru: list.New(), byID: map[string]*list.Element{}}
}

// TTL is how long a stored result stays readable.
func (s *ResultStore) TTL() time.Duration { return s.ttl }

// put keeps data, split into pages at starts, for owner. It returns nil when
// data alone is larger than the whole store, or when there is no owner.
func (s *ResultStore) put(owner, name, mime string, data []byte, starts []int) *storedResult {
	if s == nil || owner == "" || int64(len(data)) > s.maxBytes {
		return nil
	}
	r := &storedResult{
		id: newResultID(), owner: owner, name: name, mime: mime,
		data: data, starts: starts, text: utf8.Valid(data),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r.expires = now.Add(s.ttl)
	s.expireLocked(now)
	for s.bytes+int64(len(data)) > s.maxBytes {
		s.removeLocked(s.lru.Back())
	}
	s.byID[r.id] = s.lru.PushFront(r)
	s.bytes += int64(len(data))
	return r
}

// get returns the live result id if owner may read it, and marks it used.
func (s *ResultStore) get(owner, id string) (*storedResult, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(s.now())
	e, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	r := e.Value.(*storedResult)
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
func (s *ResultStore) expireLocked(now time.Time) {
	for e := s.lru.Back(); e != nil; {
		prev := e.Prev()
		if !now.Before(e.Value.(*storedResult).expires) {
			s.removeLocked(e)
		}
		e = prev
	}
}

func (s *ResultStore) removeLocked(e *list.Element) {
	r := s.lru.Remove(e).(*storedResult)
	delete(s.byID, r.id)
	s.bytes -= int64(len(r.data))
}

// newResultID is 128 random bits, in characters that a URI template variable
// matches without escaping.
func newResultID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// uri is the URI of the whole result.
func (r *storedResult) uri() string { return ResultsURIPrefix + r.id }

// pageURI is the URI of page n, from 1.
func (r *storedResult) pageURI(n int) string { return r.uri() + "/" + strconv.Itoa(n) }

// pages is how many pages the result has.
func (r *storedResult) pages() int { return len(r.starts) }

// page returns the bytes of page n, from 1.
func (r *storedResult) page(n int) []byte {
	end := len(r.data)
	if n < len(r.starts) {
		end = r.starts[n]
	}
	return r.data[r.starts[n-1]:end]
}

// Templates returns the resource templates through which clients read kept
// results, to register on the MCP server (which then declares the resources
// capability); a nil store has none.
func (s *ResultStore) Templates() []server.ServerResourceTemplate {
	if s == nil {
		return nil
	}
	desc := fmt.Sprintf("A proxy_execute response too large to return whole, kept for %s after the call. %s{id}/{page} reads it page by page (from 1); each page ends on a clean boundary, and the pages join into the exact response.", s.ttl, ResultsURIPrefix)
	return []server.ServerResourceTemplate{
		{
			Template: mcp.NewResourceTemplate(resultTemplate, "proxy_execute result",
				mcp.WithTemplateDescription(desc+" This URI reads all of it at once."),
				mcp.WithTemplateMIMEType("application/json")),
			Handler: s.read,
		},
		{
			Template: mcp.NewResourceTemplate(pageTemplate, "proxy_execute result page",
				mcp.WithTemplateDescription(desc),
				mcp.WithTemplateMIMEType("application/json")),
			Handler: s.read,
		},
	}
}

// errResultGone is the answer for an id that is unknown, expired, evicted or
// another caller's: the client cannot tell these apart, and need not.
var errResultGone = errors.New("no such result: it has expired or been evicted, or the id is wrong; call the tool again (asking for less, if the API can page)")

// read serves resources/read for both templates. It parses the URI itself
// rather than trusting template variables, so that it is the one place that
// decides what a results URI means.
func (s *ResultStore) read(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, ResultsURIPrefix)
	if !ok {
		return nil, fmt.Errorf("%s: %w", uri, server.ErrResourceNotFound)
	}
	id, pageText, paged := strings.Cut(rest, "/")
	r, ok := s.get(s.owner(ctx, req.Header), id)
	if !ok {
		return nil, fmt.Errorf("%s: %w (%w)", uri, errResultGone, server.ErrResourceNotFound)
	}
	if !paged {
		return []mcp.ResourceContents{r.contents(uri, r.data, nil)}, nil
	}
	n, err := strconv.Atoi(pageText)
	if err != nil || n < 1 || n > r.pages() {
		return nil, fmt.Errorf("%s: no page %q: this result has pages 1 to %d", uri, pageText, r.pages())
	}
	meta := map[string]any{
		"page":       n,
		"pages":      r.pages(),
		"offset":     r.starts[n-1],
		"totalBytes": len(r.data),
	}
	if n < r.pages() {
		meta["next"] = r.pageURI(n + 1)
	}
	return []mcp.ResourceContents{r.contents(uri, r.page(n), meta)}, nil
}

// contents wraps bytes of the result: as text when the result is valid UTF-8
// (every page is then too, since pages never split a rune), else as a base64
// blob, so that the bytes come back exactly either way.
func (r *storedResult) contents(uri string, b []byte, meta map[string]any) mcp.ResourceContents {
	if r.text {
		return mcp.TextResourceContents{Meta: meta, URI: uri, MIMEType: r.mime, Text: string(b)}
	}
	return mcp.BlobResourceContents{Meta: meta, URI: uri, MIMEType: r.mime, Blob: base64.StdEncoding.EncodeToString(b)}
}

// owner is who the request with ctx and header is, for the store.
func (s *ResultStore) owner(ctx context.Context, header http.Header) string {
	if s.Owner != nil {
		return s.Owner(ctx, header)
	}
	return SessionOwner(ctx, header)
}

// processOwner owns what requests without a lasting MCP session keep on a
// server with one Composio credential.
const processOwner = "process"

// SessionOwner is the Owner of a server with one Composio credential: a
// request's MCP session, when it has one that lasts (protocol revisions up to
// 2025-11-25); else, on 2026-07-28 and later, where over HTTP each request
// is a session of its own, the process. Every caller of such a server acts
// with the same credential (on stdio there is one client; over HTTP, those
// past the bearer token), so the process is the one principal, and the
// unguessable id the only secret between them.
func SessionOwner(ctx context.Context, _ http.Header) string {
	if !server.IsModernRequest(ctx) {
		if s := server.ClientSessionFromContext(ctx); s != nil && s.SessionID() != "" {
			return "session " + s.SessionID()
		}
	}
	return processOwner
}

// callHeaderKey carries a tool call's HTTP headers in its context, so that
// the result it keeps, deep in the call, can be given its owner.
type callHeaderKey struct{}

// withCallHeader returns ctx carrying the call's HTTP headers.
func withCallHeader(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, callHeaderKey{}, h)
}

// callOwner is the owner of what the call with ctx keeps.
func (s *ResultStore) callOwner(ctx context.Context) string {
	h, _ := ctx.Value(callHeaderKey{}).(http.Header)
	return s.owner(ctx, h)
}
