package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
)

// sseOwners binds each SSE session to the caller that opened its stream, on
// a server with many callers: the session id travels in the /message URL,
// and whoever learns it must not post into another's stream. A POST
// /message from another caller is answered as one for an unknown session.
type sseOwners struct {
	caller func(*http.Request) string
	max    int

	mu    sync.Mutex
	owner map[string]string // session id → caller, while its stream is open
}

// idSlot is the context key under which a GET /sse's handling learns the
// id it was given, to forget it when the stream ends.
type idSlot struct{}

func newSSEOwners(caller func(*http.Request) string, maxStreams int) *sseOwners {
	return &sseOwners{caller: caller, max: maxStreams, owner: make(map[string]string)}
}

// newID is the SSE transport's session id generator: a random id, recorded
// as the caller's.
func (b *sseOwners) newID(ctx context.Context, r *http.Request) (string, error) {
	slot, ok := ctx.Value(idSlot{}).(*string)
	if !ok {
		return "", errors.New("an SSE stream opened outside the session binding")
	}
	id := rand.Text()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.owner) >= b.max {
		return "", errors.New("too many SSE sessions")
	}
	b.owner[id] = b.caller(r)
	*slot = id
	return id, nil
}

// wrap checks POST /message against the session's caller, and forgets a
// session when its stream ends.
func (b *sseOwners) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/sse" && r.Method == http.MethodGet:
			slot := new(string)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), idSlot{}, slot)))
			b.mu.Lock()
			delete(b.owner, *slot)
			b.mu.Unlock()
		case r.URL.Path == "/message" && r.Method == http.MethodPost:
			b.mu.Lock()
			owner, ok := b.owner[r.URL.Query().Get("sessionId")]
			b.mu.Unlock()
			if !ok || owner != b.caller(r) {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
