package logging

import (
	"sync"
	"time"
)

// StoreWarnEvery is how often a fault of the shared store that the server
// works around (a rate limit failing open, a session kept in memory) is
// logged: once per interval, not once per call, so that a store that is down
// does not flood the log of a busy server.
const StoreWarnEvery = 10 * time.Second

// Every lets one event through per interval: the first, then none until the
// interval has passed. The zero value lets every event through; it is safe
// for concurrent use.
type Every struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	last time.Time
}

// NewEvery returns an Every of interval on the wall clock.
func NewEvery(interval time.Duration) *Every {
	return &Every{interval: interval, now: time.Now}
}

// Allow reports whether this event goes through, and if so starts a new
// interval.
func (e *Every) Allow() bool {
	if e == nil || e.now == nil {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.now()
	if !e.last.IsZero() && t.Sub(e.last) < e.interval {
		return false
	}
	e.last = t
	return true
}
