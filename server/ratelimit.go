package server

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/time/rate"
)

// maxBuckets bounds the buckets a rate limiter holds. Keys can come from
// callers (a multi-tenant server keys by credential), so without a bound a
// flood of made-up keys would grow memory for good.
const maxBuckets = 10_000

// rateLimiter holds one token bucket per key (the MCP session, or the caller
// on a multi-tenant server), so that one runaway agent loop cannot spend the
// organisation's Composio quota for everyone.
//
// It holds at most maxBuckets, in least-recently-used order. A bucket left
// alone for refill (the time an empty bucket takes to fill) is full, and a
// full bucket is exactly what a new key gets: such buckets are dropped, and
// forgetting them changes nothing. A bucket used within the last refill
// period is never dropped, since that would let its key start afresh: when
// maxBuckets keys are all in use, every further key shares one overflow
// bucket until some bucket has been idle long enough to go. A flood of
// made-up keys therefore limits itself, and cannot reset a drained bucket.
type rateLimiter struct {
	perMinute int
	refill    time.Duration
	now       func() time.Time
	max       int

	mu       sync.Mutex
	lru      *list.List // of *bucket, most recently used first
	buckets  map[string]*list.Element
	overflow *rate.Limiter // shared by new keys while maxBuckets are in use
}

// bucket is one key's token bucket and when it was last touched.
type bucket struct {
	key  string
	lim  *rate.Limiter
	used time.Time
}

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{
		perMinute: perMinute,
		// perMinute tokens at perMinute/60 a second: a minute, whatever the rate.
		refill:  time.Minute,
		now:     time.Now,
		max:     maxBuckets,
		lru:     list.New(),
		buckets: map[string]*list.Element{},
	}
}

// bucket returns the key's bucket: perMinute calls, refilled evenly over a
// minute, and a full minute's worth available at once.
func (l *rateLimiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.expireLocked(now)
	if e, ok := l.buckets[key]; ok {
		b := e.Value.(*bucket)
		b.used = now
		l.lru.MoveToFront(e)
		return b.lim
	}
	if l.lru.Len() >= l.max {
		// Every bucket left was used within refill: none may go (see
		// rateLimiter), so the new key shares the overflow bucket.
		if l.overflow == nil {
			l.overflow = l.newLimiter()
		}
		return l.overflow
	}
	b := &bucket{key: key, lim: l.newLimiter(), used: now}
	l.buckets[key] = l.lru.PushFront(b)
	return b.lim
}

// newLimiter is a full bucket of perMinute calls, refilled evenly over a
// minute.
func (l *rateLimiter) newLimiter() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
}

// expireLocked drops the buckets idle for refill or longer, which are full.
// The least recently used are at the back, so this stops at the first one
// still in use: constant time per call, amortised.
func (l *rateLimiter) expireLocked(now time.Time) {
	for e := l.lru.Back(); e != nil && now.Sub(e.Value.(*bucket).used) >= l.refill; e = l.lru.Back() {
		l.removeLocked(e)
	}
}

func (l *rateLimiter) removeLocked(e *list.Element) {
	delete(l.buckets, l.lru.Remove(e).(*bucket).key)
}

// len is how many buckets are held.
func (l *rateLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

func (l *rateLimiter) forget(key string) {
	l.mu.Lock()
	if e, ok := l.buckets[key]; ok {
		l.removeLocked(e)
	}
	l.mu.Unlock()
}

// Allow implements Limiter: the key's bucket takes a token, or, when it is
// empty, says how long until it has one. It never fails.
func (l *rateLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	b := l.bucket(key)
	if b.Allow() {
		return true, 0, nil
	}
	r := b.Reserve()
	wait := r.Delay()
	r.Cancel() // only asking when: the refused call takes no token
	return false, wait, nil
}

// sessionKey names the MCP session a call belongs to; calls with none (which
// mcp-go does not produce) share one bucket.
func sessionKey(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}
