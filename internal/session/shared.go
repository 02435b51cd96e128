package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Shared is a cache of session ids that the replicas of a fleet share, so
// that N replicas do not create N sessions for one user, and a session
// replaced by one replica is replaced for all. Keys are hashes (see
// sharedKey); a store error Is what the store says it is, and the Manager
// then keeps its session in memory.
type Shared interface {
	// Load returns the session id under key, "" when there is none.
	Load(ctx context.Context, key string) (string, error)
	// CompareAndSwap sets key to id unless it holds an id other than old:
	// it reports false, changing nothing, when someone else has already
	// replaced old.
	CompareAndSwap(ctx context.Context, key, old, id string) (bool, error)
	// Lock takes key's creation lock, held for at most ttl: ok is false when
	// another replica holds it. unlock releases it if it is still ours.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool, err error)
}

// DefaultCreateTimeout is Config.CreateTimeout when it is 0.
const DefaultCreateTimeout = 60 * time.Second

// lockMargin is how long the creation lock outlives a creation's bound: time
// to publish the new id after Composio answered.
const lockMargin = 5 * time.Second

// sharedPoll is how often a replica waiting for another's creation looks
// for the new id.
const sharedPoll = 25 * time.Millisecond

// sharedKey names a Manager's session in the shared cache: a hash of the
// owner (the credential identity, already hashed) and of everything a
// creation sends (the user id and the session options), so that neither
// appears in the store, and managers that would create the same session
// share it.
func sharedKey(owner string, req *client.CreateSessionRequest) string {
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(append([]byte(owner+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}

// currentShared is Current with a shared cache: the shared id when there is
// one, else the Manager's own published, else a new session. With the store
// down it is the Manager's own, as without a cache.
func (m *Manager) currentShared(ctx context.Context) (string, error) {
	id, err := m.shared.Load(ctx, m.sharedKey)
	if err != nil {
		m.storeDown("using this replica's tool-router session", err)
		return m.currentLocal(ctx)
	}
	if id != "" && m.isGone(id) {
		return m.supersede(ctx, id)
	}
	if id != "" {
		m.adopt(id)
		return id, nil
	}
	if own := m.ID(); own != "" && m.isGone(own) {
		// Ours went and its replacement failed: never publish it.
		return m.replace(ctx, own)
	} else if own != "" {
		// Ours (given at start, or the cache forgot it): publish it, unless
		// another replica published first.
		ok, err := m.shared.CompareAndSwap(ctx, m.sharedKey, "", own)
		if err != nil || ok {
			return own, nil
		}
		if id, err := m.shared.Load(ctx, m.sharedKey); err == nil && id != "" && !m.isGone(id) {
			m.adopt(id)
			return id, nil
		}
		return own, nil
	}
	return m.replace(ctx, "")
}

// supersede is Current when the shared cache holds dead, an id this Manager
// has seen gone (a replica that has not published it again): ours replaces
// it for the fleet, or a new session when we have none.
func (m *Manager) supersede(ctx context.Context, dead string) (string, error) {
	own := m.ID()
	if own == "" || own == dead {
		return m.replace(ctx, dead)
	}
	if ok, err := m.shared.CompareAndSwap(ctx, m.sharedKey, dead, own); err == nil && !ok {
		if id, ok := m.sharedOther(ctx, dead); ok {
			m.adopt(id)
			return id, nil
		}
	}
	return own, nil
}

// adopt makes id, found in the shared cache, the Manager's own.
func (m *Manager) adopt(id string) {
	m.mu.Lock()
	m.id = id
	m.mu.Unlock()
}

// isGone reports whether the Manager has seen id gone.
func (m *Manager) isGone(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gone.has(id)
}

// obtainShared is a creation with a shared cache: another replica's
// replacement of stale when there is one, else, under the creation lock, a
// new session published for all. A replica that does not get the lock waits
// for the holder's session. Any store fault falls back to a creation of our
// own, as without a cache. s is nil when the id is another replica's.
func (m *Manager) obtainShared(ctx context.Context, stale string) (id string, s *client.Session, err error) {
	if id, ok := m.sharedOther(ctx, stale); ok {
		return id, nil, nil
	}
	unlock, ok, err := m.shared.Lock(ctx, m.sharedKey, m.lockTTL)
	if err != nil {
		m.storeDown("creating a tool-router session for this replica alone", err)
		s, err := m.createSession(ctx)
		return sessionID(s), s, err
	}
	if !ok {
		// Another replica is creating: use its session, or, when it gave up
		// (its creation failed) and released the lock, create ours under it.
		// A store fault or a wait that saw nothing creates ours without it.
		id, unlock, err = m.awaitShared(ctx, stale)
		if err == nil && unlock == nil {
			return id, nil, nil
		}
	}
	if unlock != nil {
		defer unlock()
		if id, ok := m.sharedOther(ctx, stale); ok { // published while we took the lock
			return id, nil, nil
		}
	}
	s, err = m.createSession(ctx)
	if err != nil {
		return "", nil, err
	}
	if ok, err := m.shared.CompareAndSwap(ctx, m.sharedKey, stale, s.SessionID); err == nil && !ok {
		// Another replica replaced it meanwhile (its lock had run out): use
		// theirs, so that the fleet agrees on one.
		if id, ok := m.sharedOther(ctx, stale); ok {
			return id, nil, nil
		}
	}
	return s.SessionID, s, nil
}

// sharedOther returns the shared id when there is one other than stale and
// not seen gone.
func (m *Manager) sharedOther(ctx context.Context, stale string) (string, bool) {
	id, err := m.shared.Load(ctx, m.sharedKey)
	return id, err == nil && id != "" && id != stale && !m.isGone(id)
}

// errNoSharedSession is a wait for another replica's creation that saw none.
var errNoSharedSession = errors.New("no shared session appeared")

// awaitShared polls the cache for the session another replica is creating,
// for at most the lock's TTL. It returns that session's id, or, when the
// lock is released with no id published (the other's creation failed), the
// lock taken for a creation of our own, with its unlock.
func (m *Manager) awaitShared(ctx context.Context, stale string) (string, func(), error) {
	wait, cancel := context.WithTimeout(ctx, m.lockTTL)
	defer cancel()
	t := time.NewTicker(sharedPoll)
	defer t.Stop()
	for {
		id, err := m.shared.Load(wait, m.sharedKey)
		switch {
		case err != nil:
			return "", nil, err
		case id != "" && id != stale && !m.isGone(id):
			return id, nil, nil
		}
		// The lock is held by the caller's context, not the wait's: it
		// outlives this function.
		unlock, ok, err := m.shared.Lock(ctx, m.sharedKey, m.lockTTL)
		switch {
		case err != nil:
			return "", nil, err
		case ok:
			return "", unlock, nil
		}
		select {
		case <-t.C:
		case <-wait.Done():
			return "", nil, errNoSharedSession
		}
	}
}

// storeDown logs a store fault worked around, at most once per interval.
func (m *Manager) storeDown(doing string, err error) {
	m.warn.Do(func() { m.logger.Warn("the shared store did not answer: "+doing+" until it does", "err", err) })
}

func sessionID(s *client.Session) string {
	if s == nil {
		return ""
	}
	return s.SessionID
}
