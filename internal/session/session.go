// Package session keeps a Composio tool-router session alive for a server: it
// creates the session when only a user id is known, and replaces it when
// Composio reports it gone (a 404 that speaks of the session, see
// client.IsSessionGone), so that an agent's calls keep working without an
// operator pasting a new session id.
//
// Composio documents no session lifetime; callers that cache a session id are
// expected to create a new one once when it is not found. A Manager does that,
// and makes concurrent calls that all hit the expiry share one re-creation:
//
//	m := session.New(c, session.Config{UserID: "user_123", Toolkits: []string{"gmail"}})
//	if _, err := m.Current(ctx); err != nil { // creates the session now
//		return err
//	}
//	err := m.Run(ctx, func(id string) error {
//		resp, err = c.ProxyExecute(ctx, id, req)
//		return err
//	})
//
// With Config.Shared, the session is also kept in a cache the replicas of a
// fleet share (see Shared).
//
// It imports only the client package, internal/logging and the standard
// library.
package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"golang.org/x/time/rate"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/logging"
)

// Creator creates tool-router sessions; *client.Client is one.
type Creator interface {
	CreateSession(ctx context.Context, req *client.CreateSessionRequest) (*client.Session, error)
}

// Config is what a Manager knows at start.
type Config struct {
	// SessionID is the session to use first; empty means create one on first use.
	SessionID string
	// UserID is the user sessions are created for. Without it a Manager can use
	// SessionID but never replace it.
	UserID string
	// Toolkits restricts created sessions to these toolkit slugs; empty means
	// Composio's default set.
	Toolkits []string
	// DisableToolkits keeps these slugs out of created sessions (with an empty
	// Toolkits only: Composio takes one of the two).
	DisableToolkits []string
	// AuthConfigs and ConnectedAccounts go into every created session, per
	// toolkit slug: the auth config (ac_…) to use, the account (ca_…) to pin.
	AuthConfigs, ConnectedAccounts map[string]string
	// Logger receives a line for every session created; nil discards.
	Logger *slog.Logger
	// HideUser logs a hash of the user id instead of the id: on a server
	// with many callers the ids are other people's (often their email), and
	// the log is the operator's.
	HideUser bool
	// StoreWarn spaces out the warnings of a shared store that does not
	// answer; one for all the Managers of a process, so that a pool of them
	// logs one line per interval, not one each. nil gives each Manager its
	// own.
	StoreWarn *rate.Sometimes
	// Shared, when set, is the cache of session ids a fleet shares; the
	// Manager's session is keyed there by Owner, the user id and the
	// options. Without a user id it is not used.
	Shared Shared
	// Owner names the credential sessions are created with, already hashed
	// (never the credential itself): part of the Shared key.
	Owner string
	// CreateTimeout bounds a creation (the client's call timeout): with
	// Shared, the creation lock is held for it and a little more, and other
	// replicas wait that long for the holder's session. 0 means
	// DefaultCreateTimeout.
	CreateTimeout time.Duration
}

// ErrNoSession is returned when there is no session id and no user id to
// create a session for.
var ErrNoSession = errors.New("no tool-router session: give a session id or a user id to create one for")

// Manager holds the current tool-router session id and replaces it when it
// expires. It is safe for concurrent use.
type Manager struct {
	creator Creator
	req     client.CreateSessionRequest // every creation's body; never changed
	logger  *slog.Logger
	logUser slog.Attr // the user, as the log lines name it
	shared  Shared    // nil without a cache, or without a user id
	// sharedKey is the Manager's key in shared; warn spaces out the lines
	// logged while the store is down.
	sharedKey string
	warn      *rate.Sometimes
	lockTTL   time.Duration // how long the creation lock is held at most

	mu      sync.Mutex
	id      string
	pending *creation // the creation in flight, nil when none
	gone    goneIDs   // ids seen gone, never adopted or published again
}

// creation is one CreateSession call that any number of callers wait for.
type creation struct {
	done chan struct{} // closed when id and err are set
	id   string
	err  error
}

// New returns a Manager that creates sessions with c.
func New(c Creator, cfg Config) *Manager {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		creator: c,
		req: client.CreateSessionRequest{
			UserID:            cfg.UserID,
			Toolkits:          slices.Clone(cfg.Toolkits),
			DisableToolkits:   slices.Clone(cfg.DisableToolkits),
			AuthConfigs:       maps.Clone(cfg.AuthConfigs),
			ConnectedAccounts: maps.Clone(cfg.ConnectedAccounts),
		},
		logger:  logger,
		logUser: userAttr(cfg.UserID, cfg.HideUser),
		id:      cfg.SessionID,
		warn:    cfg.StoreWarn,
	}
	if m.warn == nil && cfg.Shared != nil {
		m.warn = &rate.Sometimes{Interval: logging.StoreWarnEvery}
	}
	if cfg.Shared != nil && cfg.UserID != "" {
		m.shared, m.sharedKey = cfg.Shared, sharedKey(cfg.Owner, &m.req)
	}
	m.lockTTL = cfg.CreateTimeout
	if m.lockTTL <= 0 {
		m.lockTTL = DefaultCreateTimeout
	}
	m.lockTTL += lockMargin
	return m
}

// UserID returns the user sessions are created for, "" when unknown.
func (m *Manager) UserID() string { return m.req.UserID }

// CanRenew reports whether the Manager can create a session, which it can
// only when it knows the user id.
func (m *Manager) CanRenew() bool { return m.req.UserID != "" }

// ID returns the current session id without creating one; "" when there is
// none yet.
func (m *Manager) ID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id
}

// Current returns the current session id, creating a session first when there
// is none and the user id is known.
func (m *Manager) Current(ctx context.Context) (string, error) {
	if m.shared != nil {
		return m.currentShared(ctx)
	}
	return m.currentLocal(ctx)
}

// currentLocal is Current from the Manager's memory alone.
func (m *Manager) currentLocal(ctx context.Context) (string, error) {
	m.mu.Lock()
	id := m.id
	m.mu.Unlock()
	if id != "" {
		return id, nil
	}
	return m.replace(ctx, "")
}

// Run calls fn with the current session id. When fn fails because Composio no
// longer knows that session (IsNotFound) and the user id is known, Run creates a new
// session (or joins a creation already under way) and calls fn once more with
// the new id. Any other error, or a second expiry, is returned as it is.
//
// fn is called at most twice, so a write is repeated only when Composio
// refused the first attempt outright for the unknown session.
func (m *Manager) Run(ctx context.Context, fn func(sessionID string) error) error {
	id, err := m.Current(ctx)
	if err != nil {
		return err
	}
	err = fn(id)
	if !IsNotFound(err) {
		return err
	}
	if !m.CanRenew() {
		m.logger.Warn("tool-router session not found, and without a user id it cannot be replaced: set COMPOSIO_USER_ID (or --user-id)", "session", id)
		return err
	}
	fresh, rerr := m.replace(ctx, id)
	if rerr != nil {
		return fmt.Errorf("session %s expired, and creating a new one failed: %w", id, rerr)
	}
	return fn(fresh)
}

// IsNotFound reports whether err says the session is gone: deleted, expired
// or unknown (client.IsSessionGone). A 404 from creating a link never does.
func IsNotFound(err error) bool { return client.IsSessionGone(err) }

// replace returns a session id other than stale: the current one if another
// caller has already replaced stale, else the id of a new session. Callers
// that arrive while a creation is in flight wait for it instead of starting
// their own, so n concurrent expiries cost one CreateSession.
func (m *Manager) replace(ctx context.Context, stale string) (string, error) {
	if !m.CanRenew() {
		return "", ErrNoSession
	}
	m.mu.Lock()
	if m.id != "" && m.id != stale {
		id := m.id
		m.mu.Unlock()
		return id, nil
	}
	c := m.pending
	if c == nil {
		c = &creation{done: make(chan struct{})}
		m.pending = c
		// Detached from the caller's cancellation: the others waiting on this
		// creation must not fail because the first caller gave up. The
		// client's own timeout still bounds it.
		go m.create(context.WithoutCancel(ctx), c, stale)
	}
	m.mu.Unlock()
	select {
	case <-c.done:
		return c.id, c.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// createSession runs one CreateSession.
func (m *Manager) createSession(ctx context.Context) (*client.Session, error) {
	req := m.req // a copy of the struct, so the creator cannot swap our fields
	s, err := m.creator.CreateSession(ctx, &req)
	if err == nil && s.SessionID == "" {
		err = errors.New("composio answered without a session id")
	}
	return s, err
}

// create obtains a session other than stale (a new one, or with a shared
// cache perhaps another replica's) and publishes it to every waiter.
func (m *Manager) create(ctx context.Context, c *creation, stale string) {
	var (
		id  string
		s   *client.Session
		err error
	)
	if m.shared != nil {
		id, s, err = m.obtainShared(ctx, stale)
	} else {
		s, err = m.createSession(ctx)
		id = sessionID(s)
	}
	m.mu.Lock()
	m.gone.add(stale)
	if err == nil {
		m.id = id
		c.id = id
	} else {
		c.err = err
	}
	m.pending = nil
	m.mu.Unlock()
	close(c.done)

	switch {
	case err != nil && stale == "":
		// The first session: the callers report the failure themselves.
	case err != nil:
		m.logger.Warn("replacing the expired tool-router session failed", "expired", stale, m.logUser, "err", err)
	case s == nil:
		m.logger.Info("using the tool-router session another replica created", "session", id, m.logUser)
	case stale == "":
		m.logger.Info("created tool-router session", "session", s.SessionID, m.logUser, "toolkits", s.Config.Toolkits.Enabled)
	default:
		m.logger.Info("tool-router session expired; created a new one", "expired", stale, "session", s.SessionID, m.logUser)
	}
}

// userAttr is how the log names user: the id, or with hide a hash of it
// that tells users apart without naming them.
func userAttr(user string, hide bool) slog.Attr {
	if !hide || user == "" {
		return slog.String("user", user)
	}
	sum := sha256.Sum256([]byte(user))
	return slog.String("user_hash", hex.EncodeToString(sum[:6]))
}
