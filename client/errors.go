package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error slugs that callers act on.
const (
	SlugNoActiveConnection = "ToolRouterV2_NoActiveConnection"
	SlugSessionNotFound    = "ToolRouterV2_SessionNotFound"
	SlugBadRequest         = "ToolRouterV2_BadRequest"
	SlugOriginMismatch     = "OriginMismatch"
	SlugSSRFBlocked        = "ExternalProxy_SSRFBlocked"
	SlugUnauthorized       = "HTTP_Unauthorized"
	SlugTooManyRequests    = "HTTP_TooManyRequests"
)

// APIError is an error answered by Composio itself (HTTP 4xx/5xx), as opposed to an
// error status of the third-party API, which arrives in ProxyResponse.Status.
// It is built from the {"error":{…}} envelope, a bare {"message":…} body, or a
// non-JSON body (kept, cut to 1 KiB, in Body).
type APIError struct {
	// HTTPStatus is the status of Composio's HTTP response.
	HTTPStatus int
	// Message is Composio's message, or empty for a non-JSON body.
	Message string
	// Code is Composio's numeric or string code, in text form.
	Code Code
	// Slug names the error kind, e.g. ToolRouterV2_NoActiveConnection.
	Slug string
	// RequestID identifies the request for Composio's support.
	RequestID string
	// SuggestedFix is Composio's advice on what to do next.
	SuggestedFix string
	// Errors lists the individual validation errors.
	Errors []string
	// RetryAfter is the wait Composio asked for (Retry-After), zero if none.
	RetryAfter time.Duration
	// Body holds at most 1 KiB of a body that was not a JSON error envelope.
	Body string
}

// Error implements error. It never includes credentials: they are not part of any
// field.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "composio: HTTP %d", e.HTTPStatus)
	if e.Slug != "" {
		fmt.Fprintf(&b, " %s", e.Slug)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Body != "" {
		fmt.Fprintf(&b, ": %s", e.Body)
	}
	return b.String()
}

// Is reports whether target is an *APIError with the same slug, so callers can write
// errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}).
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Slug != "" && t.Slug == e.Slug
}

// IsSessionGone reports whether err says that Composio no longer knows the session
// of a session-scoped call (get, toolkits, proxy_execute): a 404 whose slug or
// message speaks of the session. Composio documents no slug for it: v3.1 answers
// "session … does not exist or has been deleted", and the slug
// ToolRouterV2_SessionNotFound is seen elsewhere, so either is enough. A 404 that
// speaks of something else, and any 404 from CreateLink (a *LinkNotFoundError), is
// not: the session may be fine, and replacing it would not help.
func IsSessionGone(err error) bool {
	var linkErr *LinkNotFoundError
	if errors.As(err, &linkErr) {
		return false
	}
	var e *APIError
	if !errors.As(err, &e) || e.HTTPStatus != http.StatusNotFound {
		return false
	}
	if strings.Contains(strings.ToLower(e.Slug), "sessionnotfound") {
		return true
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "session") &&
		(strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "deleted"))
}

// LinkNotFoundError is a 404 from CreateLink. There it may mean that the toolkit or
// the auth config for it does not exist, so it is kept apart from a missing session:
// IsSessionGone is false for it.
type LinkNotFoundError struct {
	// Toolkit is the toolkit the link was asked for.
	Toolkit string
	// Err is Composio's answer.
	Err *APIError
}

// Error implements error.
func (e *LinkNotFoundError) Error() string {
	return fmt.Sprintf("creating a link for toolkit %q: %v", e.Toolkit, e.Err)
}

// Unwrap returns Composio's answer, so errors.As finds the *APIError.
func (e *LinkNotFoundError) Unwrap() error { return e.Err }

// TimeoutError reports that a call got no complete answer within the client's timeout.
type TimeoutError struct {
	// After is the timeout that ran out.
	After time.Duration
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("composio: no answer within %s", e.After)
}

// Unwrap returns the underlying error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// ResponseTooLargeError reports a success body longer than the client's limit
// (WithMaxResponseBytes). The body is not decoded: a cut JSON document is useless, and
// reading on would let one upstream answer exhaust the process's memory.
type ResponseTooLargeError struct {
	// Limit is the limit in bytes that the body exceeded.
	Limit int64
}

// Error implements error.
func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("composio: response body larger than %d bytes", e.Limit)
}

// RedirectError reports that Composio's base URL answered with a redirect. It is
// never followed: Composio's API does not redirect, and following would send the
// API key (and on 307/308 the body) to whatever host the Location names.
type RedirectError struct {
	// Status is the 3xx status received.
	Status int
	// LocationHost is the host the Location header named, empty when it named
	// none (a relative Location, or none at all). The rest of the URL is left
	// out: it may carry a token.
	LocationHost string
}

// Error implements error.
func (e *RedirectError) Error() string {
	where := "no other host"
	if e.LocationHost != "" {
		where = e.LocationHost
	}
	return fmt.Sprintf("composio: HTTP %d redirect to %s refused: Composio's API does not redirect, and following would send the API key there", e.Status, where)
}

// BusyError reports that a call found no free slot among the concurrent calls to
// Composio allowed (see CallLimiter) before its context ended. Nothing was sent.
type BusyError struct {
	// Limit is the cap that was full.
	Limit int
	// PerCaller says whether it was the cap on one credential's calls rather
	// than the process-wide one.
	PerCaller bool
}

// Error implements error.
func (e *BusyError) Error() string {
	scope := "in this server"
	if e.PerCaller {
		scope = "for these Composio credentials"
	}
	return fmt.Sprintf("composio: server busy: %d calls to Composio already in flight %s; nothing was sent", e.Limit, scope)
}
