package client

import (
	"context"
	"crypto/sha256"
	"sync"
)

// CallLimiter caps the requests to Composio in flight at once, in the whole
// process and per credential, so that a flood of calls (or one caller's flood)
// holds a bounded number of connections and response bodies. One limiter is
// shared by every Client given it with WithCallLimiter, which is how the
// per-caller clients of a multi-tenant server count against one cap: a caller is
// its credential, not its Client.
type CallLimiter struct {
	total     chan struct{}
	perCaller int

	mu      sync.Mutex
	callers map[[32]byte]*callerSlots // only callers with calls in flight or waiting
}

type callerSlots struct {
	sem   chan struct{}
	users int // holders and waiters; the entry goes when it reaches zero
}

// NewCallLimiter returns a limiter of at most total requests in flight, and at
// most perCaller for one credential; a value ≤ 0 means no such cap.
func NewCallLimiter(total, perCaller int) *CallLimiter {
	l := &CallLimiter{perCaller: perCaller, callers: map[[32]byte]*callerSlots{}}
	if total > 0 {
		l.total = make(chan struct{}, total)
	}
	return l
}

// acquire waits for a slot for the caller key until ctx ends, when it fails with
// a *BusyError. release gives the slot back.
func (l *CallLimiter) acquire(ctx context.Context, key [32]byte) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	var cs *callerSlots
	if l.perCaller > 0 {
		l.mu.Lock()
		cs = l.callers[key]
		if cs == nil {
			cs = &callerSlots{sem: make(chan struct{}, l.perCaller)}
			l.callers[key] = cs
		}
		cs.users++
		l.mu.Unlock()
		select {
		case cs.sem <- struct{}{}:
		case <-ctx.Done():
			l.leave(key, cs)
			return nil, &BusyError{Limit: l.perCaller, PerCaller: true}
		}
	}
	if l.total != nil {
		select {
		case l.total <- struct{}{}:
		case <-ctx.Done():
			if cs != nil {
				<-cs.sem
				l.leave(key, cs)
			}
			return nil, &BusyError{Limit: cap(l.total)}
		}
	}
	return func() {
		if l.total != nil {
			<-l.total
		}
		if cs != nil {
			<-cs.sem
			l.leave(key, cs)
		}
	}, nil
}

func (l *CallLimiter) leave(key [32]byte, cs *callerSlots) {
	l.mu.Lock()
	if cs.users--; cs.users == 0 {
		delete(l.callers, key)
	}
	l.mu.Unlock()
}

// WithCallLimiter makes the client's requests count against l (see CallLimiter);
// give the same limiter to every client that should share its caps.
func WithCallLimiter(l *CallLimiter) Option {
	return func(c *Client) error {
		c.limiter = l
		return nil
	}
}

// callerKey identifies the client's credential to a CallLimiter without keeping
// another copy of it in the clear.
func (c *Client) callerKey() [32]byte {
	if c.apiKey != "" {
		return sha256.Sum256([]byte("x-api-key\x00" + c.apiKey))
	}
	return sha256.Sum256([]byte("x-user-api-key\x00" + c.userAPIKey))
}

// slotContext bounds the wait for a slot: by half of the client's timeout, so
// that a call which gets a slot still has time to run, and one that does not
// hears that the server is busy while a retry is still worth it.
func (c *Client) slotContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.limiter == nil || c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout/2)
}
