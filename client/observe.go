package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
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

// Operations of Observation.Op: what a request to Composio was for, from a
// fixed set, so that a metric keyed by it stays small.
const (
	OpProxyExecute  = "proxy_execute"
	OpCreateSession = "create_session"
	OpGetSession    = "get_session"
	OpDeleteSession = "delete_session"
	OpListToolkits  = "list_toolkits"
	OpLink          = "link"
	OpOther         = "other"
)

// Observation is one attempt of a request to Composio, as an Observer sees
// it. It holds no URL, body or credential.
type Observation struct {
	// Op is one of the Op constants.
	Op string
	// Attempt counts the attempts of the call, from 1: above 1, a retry.
	Attempt int
	// Status is Composio's HTTP status; 0 when no answer came.
	Status int
	// Err is the attempt's error, nil on success.
	Err error
	// Duration is the attempt's time, from sending to the answer read.
	Duration time.Duration
}

// Observer is told of every attempt of every call a client makes, for
// metrics. It runs on the calling goroutine and must return quickly.
type Observer func(Observation)

// WithObserver has every attempt of the client's calls reported to fn; nil
// reports none. Unlike WithRetryObserver it is the client's, not a call's:
// what it feeds (a process's metrics) is shared by every call.
func WithObserver(fn Observer) Option {
	return func(c *Client) error {
		c.observer = fn
		return nil
	}
}

// operation names the request to path with method, by the shape of the
// paths this package builds: a session id is one escaped path segment, so
// it cannot end in a suffix of its own.
func operation(method, path string) string {
	switch {
	case strings.HasSuffix(path, "/proxy_execute"):
		return OpProxyExecute
	case strings.HasSuffix(path, "/toolkits"):
		return OpListToolkits
	case strings.HasSuffix(path, "/link"):
		return OpLink
	case strings.HasSuffix(path, "/tool_router/session") && method == http.MethodPost:
		return OpCreateSession
	case strings.Contains(path, "/tool_router/session/") && method == http.MethodGet:
		return OpGetSession
	case strings.Contains(path, "/tool_router/session/") && method == http.MethodDelete:
		return OpDeleteSession
	}
	return OpOther
}

// observe tells the client's Observer, if any, of one attempt.
func (c *Client) observe(method, path string, attempt int, start time.Time, resp *http.Response, err error) {
	if c.observer == nil {
		return
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	c.observer(Observation{Op: operation(method, path), Attempt: attempt, Status: status, Err: err, Duration: time.Since(start)})
}
