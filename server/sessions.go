package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// errNoSession is what Validate answers for an id that names no live session:
// mcp-go turns it into 404.
var errNoSession = errors.New("no such session")

// sessionTable is the streamable HTTP transport's record of its sessions
// (mcp-go's SessionIdManager): a bounded number of them, each forgotten after
// an idle time, or at once when the client deletes it. A forgotten id is
// simply unknown, so that made-up, expired and deleted ids all get 404.
type sessionTable struct {
	max  int
	idle time.Duration
	// expired cleans up the transport's state of a session the table has
	// dropped for idleness; it runs without the lock held.
	expired func(id string)

	mu       sync.Mutex
	sessions map[string]*sessionEntry
	reserved int // initialize requests under way, each owed a slot
}

type sessionEntry struct {
	lastSeen time.Time
	streams  int // open GET streams; a session with one is not idle
}

func newSessionTable(max int, idle time.Duration) *sessionTable {
	return &sessionTable{max: max, idle: idle, sessions: map[string]*sessionEntry{}}
}

// Generate mints the id of a new session. The cap was checked when its
// initialize request was reserved a slot.
func (t *sessionTable) Generate() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := "mcp-session-" + hex.EncodeToString(b)
	t.mu.Lock()
	t.sessions[id] = &sessionEntry{lastSeen: time.Now()}
	t.mu.Unlock()
	return id
}

// Validate reports whether id names a live session, and marks it used.
func (t *sessionTable) Validate(id string) (bool, error) {
	if !t.touch(id) {
		return false, errNoSession
	}
	return false, nil
}

// Terminate forgets the session: the client deleted it.
func (t *sessionTable) Terminate(id string) (bool, error) {
	t.mu.Lock()
	delete(t.sessions, id)
	t.mu.Unlock()
	return false, nil
}

// touch marks a live session used and reports whether it is live.
func (t *sessionTable) touch(id string) bool {
	now := time.Now()
	t.mu.Lock()
	e, ok := t.sessions[id]
	if ok && e.streams == 0 && now.Sub(e.lastSeen) > t.idle {
		delete(t.sessions, id)
		ok = false
		defer t.expire([]string{id})
	} else if ok {
		e.lastSeen = now
	}
	t.mu.Unlock()
	return ok
}

// reserve holds a slot for a session an initialize request is about to
// create, dropping idle sessions first; it reports false at the cap.
func (t *sessionTable) reserve() bool {
	now := time.Now()
	t.mu.Lock()
	var gone []string
	if len(t.sessions)+t.reserved >= t.max {
		gone = t.sweepLocked(now)
	}
	ok := len(t.sessions)+t.reserved < t.max
	if ok {
		t.reserved++
	}
	t.mu.Unlock()
	t.expire(gone)
	return ok
}

func (t *sessionTable) unreserve() {
	t.mu.Lock()
	t.reserved--
	t.mu.Unlock()
}

// openStream records a GET stream on a live session; it reports false for
// an unknown one.
func (t *sessionTable) openStream(id string) bool {
	if !t.touch(id) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if ok {
		e.streams++
	}
	return ok
}

func (t *sessionTable) closeStream(id string) {
	t.mu.Lock()
	if e, ok := t.sessions[id]; ok {
		e.streams--
		e.lastSeen = time.Now()
	}
	t.mu.Unlock()
}

// sweep drops every idle session.
func (t *sessionTable) sweep() {
	t.mu.Lock()
	gone := t.sweepLocked(time.Now())
	t.mu.Unlock()
	t.expire(gone)
}

func (t *sessionTable) sweepLocked(now time.Time) []string {
	var gone []string
	for id, e := range t.sessions {
		if e.streams == 0 && now.Sub(e.lastSeen) > t.idle {
			delete(t.sessions, id)
			gone = append(gone, id)
		}
	}
	return gone
}

func (t *sessionTable) expire(ids []string) {
	if t.expired == nil {
		return
	}
	for _, id := range ids {
		t.expired(id)
	}
}

// len reports how many sessions the table holds.
func (t *sessionTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

// sessionRules enforces, in front of mcp-go's streamable HTTP transport, what
// the session-based protocol revisions (up to 2025-11-25) promise: a request
// other than initialize carries Mcp-Session-Id (400 without), and the id names
// a live session (404 otherwise) on every method, GET and DELETE included.
// A request on 2026-07-28 or later has no sessions and passes untouched.
func sessionRules(next http.Handler, t *sessionTable) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
			next.ServeHTTP(w, r)
			return
		}
		id := r.Header.Get(server.HeaderKeySessionID)
		switch r.Method {
		case http.MethodGet, http.MethodDelete:
			if id == "" {
				http.Error(w, "Bad Request: Mcp-Session-Id header is required", http.StatusBadRequest)
				return
			}
			if r.Method == http.MethodDelete {
				if !t.touch(id) {
					http.Error(w, "Not Found: no such session", http.StatusNotFound)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			if !t.openStream(id) {
				http.Error(w, "Not Found: no such session", http.StatusNotFound)
				return
			}
			defer t.closeStream(id)
		case http.MethodPost:
			method, modern := peekMessage(r)
			switch {
			case modern:
			case method == string(mcp.MethodInitialize):
				if !t.reserve() {
					busy(w, "too many sessions")
					return
				}
				defer t.unreserve()
			case id == "" && method != "":
				http.Error(w, "Bad Request: Mcp-Session-Id header is required (send initialize first)", http.StatusBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// peekMessage reads the JSON-RPC method of a POST body and whether it
// declares a protocol revision without sessions (2026-07-28 or later) in its
// _meta, as mcp-go decides it; the body is left for the transport to read.
func peekMessage(r *http.Request) (method string, modern bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", false
	}
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	var msg struct {
		Method string `json:"method"`
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(b, &msg) != nil {
		return "", false
	}
	return msg.Method, mcp.IsModernProtocol(msg.Params.Meta.ProtocolVersion())
}

// discardWriter is the response writer of requests the server makes to its
// own transport (deleting an expired session).
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
