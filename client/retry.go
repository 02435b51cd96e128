package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Retry defaults used by New when no option overrides them.
const (
	// DefaultMaxRetries is how many times a failed call is repeated. It matches
	// Composio's own TypeScript client: enough to ride out a blip, few enough that a
	// real outage is reported within a tool call's time.
	DefaultMaxRetries = 2
	// DefaultRetryAfterCap is the longest Retry-After the client waits out by itself.
	// A longer wait is better left to the caller (or the model), which can do other
	// work meanwhile, than spent blocking a tool call.
	DefaultRetryAfterCap = 30 * time.Second
)

const (
	// backoffBase and backoffMax shape the wait before retry n (from 0): a random
	// duration up to min(backoffMax, backoffBase·2^n), "full jitter", so that many
	// clients failing together do not come back together. The numbers are Composio's
	// own client's.
	backoffBase = 500 * time.Millisecond
	backoffMax  = 8 * time.Second
)

// WithMaxRetries sets how many times a failed call may be repeated (default 2; 0
// disables retries). Only failures that are safe to repeat are retried; see the
// package documentation for the policy.
func WithMaxRetries(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return fmt.Errorf("composio: negative max retries %d", n)
		}
		c.maxRetries = n
		return nil
	}
}

// WithRetryAfterCap sets the longest Retry-After the client waits out before retrying
// (default 30 s). An answer that asks for a longer wait is returned at once, as an
// *APIError with RetryAfter set, rather than blocking the call; zero makes every
// answer that names a wait return at once.
func WithRetryAfterCap(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("composio: negative retry-after cap %s", d)
		}
		c.retryAfterCap = d
		return nil
	}
}

// AttemptsError wraps the error of a call that was tried more than once, so that a
// caller can tell "failed" from "failed three times" (the second says more about the
// odds of trying again). errors.Is and errors.As see through it to Err.
type AttemptsError struct {
	// Attempts is how many times the call was sent, at least 2.
	Attempts int
	// Err is the last attempt's error.
	Err error
}

// Error implements error: the last error, then the count.
func (e *AttemptsError) Error() string {
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Attempts)
}

// Unwrap returns the last attempt's error.
func (e *AttemptsError) Unwrap() error { return e.Err }

// Attempts returns how many times the call that returned err was sent: the count of an
// *AttemptsError in err's chain, else 1. A nil error yields 0, since a successful
// call reports its count in ProxyResponse.Attempts.
func Attempts(err error) int {
	if err == nil {
		return 0
	}
	var ae *AttemptsError
	if errors.As(err, &ae) {
		return ae.Attempts
	}
	return 1
}

// NothingSent reports whether the call that failed with err surely reached
// no third-party API: it found no free slot (*BusyError), no connection was
// made, or Composio answered with its rate limit, which it documents as a
// call not executed. After any other failure the call may have been made.
func NothingSent(err error) bool {
	var busy *BusyError
	return errors.As(err, &busy) || failureClass(err) == notSent
}

// withAttempts wraps err in an *AttemptsError when the call was sent more than once.
func withAttempts(err error, attempts int) error {
	if err == nil || attempts <= 1 {
		return err
	}
	return &AttemptsError{Attempts: attempts, Err: err}
}

// retryWait decides whether a call that failed with err after attempts sends is tried
// again, and after what wait. idempotent says whether the call may be repeated even
// though it may already have taken effect (a proxied GET or HEAD, a session GET).
func (c *Client) retryWait(ctx context.Context, err error, attempts int, idempotent bool) (time.Duration, bool) {
	if attempts > c.maxRetries || ctx.Err() != nil {
		return 0, false
	}
	switch failureClass(err) {
	case notSent:
	case maybeSent:
		if !idempotent {
			return 0, false
		}
	default:
		return 0, false
	}
	wait := c.backoff(attempts - 1)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		if apiErr.RetryAfter > c.retryAfterCap {
			// Blocking a tool call for minutes helps nobody: the caller learns the
			// wait from APIError.RetryAfter and can decide.
			return 0, false
		}
		wait = apiErr.RetryAfter
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
		// The caller would give up before the retry began; the error in hand is
		// more use to it than its own deadline error.
		return 0, false
	}
	return wait, true
}

// backoff returns the wait before retry n (from 0): full jitter over
// min(backoffMax, backoffBase·2^n).
func (c *Client) backoff(n int) time.Duration {
	ceiling := backoffMax
	if n < 8 { // 0.5 s·2^4 already passes 8 s; this also keeps the shift in range
		ceiling = min(backoffMax, backoffBase<<n)
	}
	return c.jitter(ceiling)
}

// failure classes for the retry policy.
type failure int

const (
	// notRetryable: retrying would give the same answer, or cannot be done safely.
	notRetryable failure = iota
	// notSent: the call did not reach Composio, or Composio did not execute it, so
	// repeating it cannot do anything twice.
	notSent
	// maybeSent: the call may have been executed before it failed; only an
	// idempotent call may be repeated.
	maybeSent
)

// failureClass sorts a failed attempt's error for the retry policy.
func failureClass(err error) failure {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.HTTPStatus {
		case http.StatusTooManyRequests:
			// Composio documents that a rate-limited call was not executed.
			return notSent
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			// Composio, or something in front of it, may have called the
			// third-party API before failing.
			return maybeSent
		}
		return notRetryable
	}
	var opErr *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &opErr) && opErr.Op == "dial") {
		// No connection, so no request: even a dial cut short by the timeout is safe.
		return notSent
	}
	var timeout *TimeoutError
	if errors.As(err, &timeout) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), errServerClosedIdle) {
		// The request was written, and the answer never came or came cut short.
		return maybeSent
	}
	return notRetryable
}

// errServerClosedIdle is the text of net/http's unexported error for a connection that
// the server closed while our request was on its way: a keep-alive race with a load
// balancer's idle timeout, but also what a server that read the request and then died
// looks like. The transport retries it itself only for methods it deems idempotent, and
// every Composio call here that matters is a POST.
const errServerClosedIdle = "http: server closed idle connection"

// sleepCtx waits for d or until ctx is done, whichever comes first, and returns
// ctx's error in the second case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fullJitter returns a random duration in [0, ceiling].
func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
