package client

import (
	"context"
	"errors"
	"time"
)

// Retry describes a wait before a call is sent again, as a RetryObserver sees it.
type Retry struct {
	// Attempt is the attempt that failed, from 1.
	Attempt int
	// Wait is how long the client waits before the next attempt.
	Wait time.Duration
	// RetryAfter reports whether Wait is what Composio asked for in Retry-After,
	// rather than the client's own backoff.
	RetryAfter bool
	// Err is the failed attempt's error.
	Err error
}

// RetryObserver is told of each wait before a retry, before the wait begins.
// It runs on the calling goroutine and must return quickly.
type RetryObserver func(Retry)

type retryObserverKey struct{}

// WithRetryObserver returns a context under which every call made with it
// reports its retries to fn. It is a context value rather than a client
// option because what to do with the news (say, a progress notification) is
// particular to one call, while the client is shared.
func WithRetryObserver(ctx context.Context, fn RetryObserver) context.Context {
	return context.WithValue(ctx, retryObserverKey{}, fn)
}

// observeRetry tells the context's RetryObserver, if any, of a wait.
func observeRetry(ctx context.Context, attempt int, wait time.Duration, err error) {
	fn, _ := ctx.Value(retryObserverKey{}).(RetryObserver)
	if fn == nil {
		return
	}
	var apiErr *APIError
	fromServer := errors.As(err, &apiErr) && apiErr.RetryAfter > 0 && apiErr.RetryAfter == wait
	fn(Retry{Attempt: attempt, Wait: wait, RetryAfter: fromServer, Err: err})
}
