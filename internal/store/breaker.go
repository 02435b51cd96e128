package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// BreakerCooldown is how long commands fail fast after one waited out its
// bound (see breaker.failed); then one goes through as a probe, and its success lets the
// others through again. Without it a call that runs several store commands
// (rate gate, session, result) against a hung store waits each one's bound
// in turn, far past its own timeout.
const BreakerCooldown = time.Second

// errBreakerOpen is a command not sent because the store failed a moment
// ago; through Err it Is ErrUnavailable like any other failure.
var errBreakerOpen = errors.New("not sent: the store failed less than a second ago")

// probeKey marks a context whose command always goes through (Ping, so that
// readiness sees the store come back), and counts as the probe.
type probeKey struct{}

// breaker is a go-redis hook that fails commands fast while the store is
// known to be unavailable. It is safe for concurrent use.
type breaker struct {
	cooldown time.Duration
	// slow is how long a failed command must have waited to open the
	// breaker: half the command bound.
	slow time.Duration
	// bound is each command's, or pipeline's, whole time, retries included:
	// the store's rule, applied here once rather than by every caller.
	bound time.Duration
	now   func() time.Time

	mu        sync.Mutex
	openUntil time.Time // zero when closed
	probing   bool      // a probe is in flight
}

func newBreaker(cooldown, bound time.Duration) *breaker {
	return &breaker{cooldown: cooldown, slow: bound / 2, bound: bound, now: time.Now}
}

// allow reports whether a command may be sent; probe is true when it is the
// one that tests an open breaker.
func (b *breaker) allow(ctx context.Context) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openUntil.IsZero() {
		return true, false
	}
	if ctx.Value(probeKey{}) != nil {
		return true, true
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false, false
	}
	b.probing = true
	return true, true
}

// done records the outcome of a command sent at start.
func (b *breaker) done(start time.Time, probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	switch {
	case !b.failed(start, err):
		if err == nil || probe {
			b.openUntil = time.Time{}
		}
	default:
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// failed reports whether err, of a command sent at start, says the store is
// unavailable in the way the breaker guards against: no answer (nil,
// redis.Nil and an error reply such as WRONGTYPE are answers), not the
// caller's cancellation, and slow: a failure that came at once (a refused
// connection, the store restarting) costs the next command nothing, while
// one that waited out a bound (a hung store, an unreachable host) would cost
// each command its own.
func (b *breaker) failed(start time.Time, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var reply redis.Error
	return !errors.As(err, &reply) && b.now().Sub(start) >= b.slow
}

// asProbe marks a probe's context, so that the commands go-redis sends on
// its behalf (a new connection's handshake) go through too.
func asProbe(ctx context.Context, probe bool) context.Context {
	if !probe || ctx.Value(probeKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, probeKey{}, true)
}

// DialHook implements redis.Hook: dials are seen through the commands.
func (b *breaker) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (b *breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ok, probe := b.allow(ctx)
		if !ok {
			return errBreakerOpen
		}
		ctx, cancel := context.WithTimeout(asProbe(ctx, probe), b.bound)
		defer cancel()
		start := b.now()
		err := next(ctx, cmd)
		b.done(start, probe, err)
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (b *breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ok, probe := b.allow(ctx)
		if !ok {
			for _, c := range cmds {
				c.SetErr(errBreakerOpen)
			}
			return errBreakerOpen
		}
		ctx, cancel := context.WithTimeout(asProbe(ctx, probe), b.bound)
		defer cancel()
		start := b.now()
		err := next(ctx, cmds)
		b.done(start, probe, err)
		return err
	}
}
