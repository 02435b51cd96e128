package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used by New when no option overrides them.
const (
	// DefaultBaseURL is Composio's production API.
	DefaultBaseURL = "https://backend.composio.dev"
	// DefaultUserAgent names this program to Composio.
	DefaultUserAgent = "composio-proxy-mcp"
	// DefaultTimeout bounds a whole call, retries included. It stays under the 60 s
	// that MCP clients commonly allow a tool call, so the caller gets our TimeoutError
	// rather than its own.
	DefaultTimeout = 50 * time.Second
	// DefaultMaxResponseBytes bounds a success body: a proxied upstream answer can be
	// arbitrarily large, and it is held in memory whole.
	DefaultMaxResponseBytes int64 = 32 << 20
)

const (
	// maxErrorBodyBytes bounds how much of an error body is read: enough for any JSON
	// envelope, small enough that a broken proxy's HTML page costs nothing.
	maxErrorBodyBytes = 64 << 10
	// maxErrorBodyKept bounds the non-JSON error body kept in APIError.Body.
	maxErrorBodyKept = 1024
	// maxDrainBytes is how much of an unread body is discarded so that the connection
	// can be reused; past it, closing the connection is cheaper than reading on.
	maxDrainBytes = 64 << 10
)

// Client is a Composio tool-router API client. It is safe for concurrent use; create one
// and share it.
type Client struct {
	baseURL          *url.URL // always ends in "/", so relative paths resolve under it
	httpClient       *http.Client
	apiKey           string
	userAPIKey       string
	userAgent        string
	timeout          time.Duration
	maxResponseBytes int64
	apiVersion       APIVersion // the session calls' path prefix and shapes
	maxRetries       int
	retryAfterCap    time.Duration
	limiter          *CallLimiter // nil: no cap on calls in flight
	callerID         [32]byte     // the credential's key in limiter
	observer         Observer     // nil: no one is told of attempts

	// Hooks for tests, so that retry tests neither sleep nor depend on chance.
	sleep  func(ctx context.Context, d time.Duration) error // waits between attempts
	now    func() time.Time                                 // compared with the caller's deadline
	jitter func(ceiling time.Duration) time.Duration        // picks a backoff in [0, ceiling]
}

// New returns a Client configured by opts. It fails when neither WithAPIKey nor
// WithUserAPIKey gave a key, since every Composio call needs one.
func New(opts ...Option) (*Client, error) {
	base, err := parseBaseURL(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:          base,
		userAgent:        DefaultUserAgent,
		timeout:          DefaultTimeout,
		maxResponseBytes: DefaultMaxResponseBytes,
		apiVersion:       APIv3,
		maxRetries:       DefaultMaxRetries,
		retryAfterCap:    DefaultRetryAfterCap,
		sleep:            sleepCtx,
		now:              time.Now,
		jitter:           fullJitter,
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.apiKey == "" && c.userAPIKey == "" {
		return nil, errors.New("composio: no API key: set a project API key or a user API key")
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Transport: sharedTransport()}
	} else {
		hc := *c.httpClient // the caller's client is theirs: change a copy
		c.httpClient = &hc
	}
	// Composio's API does not redirect. Following one would send the API key
	// to the host the Location names (Go strips only Authorization and Cookie
	// on a host change) and, on 307/308, the body too; attempt turns the 3xx
	// into a *RedirectError instead.
	c.httpClient.CheckRedirect = refuseRedirect
	c.callerID = c.callerKey()
	return c, nil
}

// BaseURL returns the API base URL the client sends to, ending in "/".
func (c *Client) BaseURL() string { return c.baseURL.String() }

// String describes the client without its keys, so that printing a Client (say with
// %v in a log line) cannot leak a credential.
func (c *Client) String() string {
	return fmt.Sprintf("composio.Client{base: %s, auth: %s}", c.baseURL, c.authMode())
}

// GoString is String for %#v, for the same reason.
func (c *Client) GoString() string { return c.String() }

func (c *Client) authMode() string {
	if c.apiKey != "" {
		return "x-api-key"
	}
	return "x-user-api-key"
}

// sharedTransport is one transport for every Client that brings no HTTP client, so that
// all calls share one keep-alive pool. Go's default keeps only 2 idle connections per
// host, which makes 64 concurrent calls redial constantly.
var sharedTransport = sync.OnceValue(func() *http.Transport {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment}
	} else {
		t = t.Clone()
	}
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return t
})

// refuseRedirect is every Client's CheckRedirect: the 3xx itself is returned,
// unread and unfollowed.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redirectError describes a 3xx answer without following it.
func redirectError(resp *http.Response) *RedirectError {
	e := &RedirectError{Status: resp.StatusCode}
	if loc, err := resp.Location(); err == nil {
		e.LocationHost = strings.ToValidUTF8(loc.Host, "?")
	}
	return e
}

// parseBaseURL checks that raw is an absolute http(s) URL and gives its path a trailing
// slash, so that ResolveReference keeps a path prefix instead of replacing its last
// segment.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("composio: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("composio: base URL %q: want an absolute http or https URL", raw)
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	if len(u.Path) == 0 || u.Path[len(u.Path)-1] != '/' {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// ProxyExecute runs one proxied call in the tool-router session sessionID: Composio
// injects the session user's credentials for req.ToolkitSlug and calls the third-party
// API. An upstream error status is not an error here: it is in the result's Status.
// Composio's own failures are *APIError.
//
// A failure that is safe to repeat is retried (see WithMaxRetries): for any method
// when Composio did not execute the call (a 429, a refused connection), and only for a
// GET or HEAD when it may have (a 502/503/504, a timeout, a connection cut mid-answer),
// since repeating a write could do it twice.
func (c *Client) ProxyExecute(ctx context.Context, sessionID string, req *ProxyRequest) (*ProxyResponse, error) {
	// proxyCall is shared with NewProxyRequest, so a dry run shows these bytes.
	path, payload, err := proxyCall(c.prefix(), sessionID, req)
	if err != nil {
		return nil, err
	}
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	out := new(ProxyResponse)
	resp, attempts, err := c.do(ctx, http.MethodPost, path, nil, encodedJSON(payload), idempotent, out)
	if err != nil {
		return nil, err
	}
	out.HTTPStatus = resp.StatusCode
	out.RequestID = requestID(resp.Header)
	out.Attempts = attempts
	return out, nil
}

// requestID finds Composio's request id among the header names proxies commonly use.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Amzn-Requestid"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// sessionPath builds prefix/tool_router/session/{id}{suffix}, escaping the id so that
// it stays one path segment.
func sessionPath(prefix, sessionID, suffix string) (string, error) {
	// "." and ".." survive PathEscape and would be resolved away, aiming the request
	// at another endpoint.
	if sessionID == "" || sessionID == "." || sessionID == ".." {
		return "", fmt.Errorf("composio: invalid session id %q", sessionID)
	}
	return prefix + "/tool_router/session/" + url.PathEscape(sessionID) + suffix, nil
}

// newRequest builds a request for path, relative to the base URL and without a leading
// slash, with payload as its JSON body when it is not nil. Each attempt gets its own
// reader over the same bytes, so a retry re-sends the whole body.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, payload []byte) (*http.Request, error) {
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("composio: building URL: %w", err)
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var r io.Reader
	if payload != nil {
		r = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("composio: building request: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.apiKey != "" {
		req.Header.Set("x-api-key", c.apiKey)
	} else {
		req.Header.Set("x-user-api-key", c.userAPIKey)
	}
	return req, nil
}

// errClientTimeout is the cause of the call's timeout context, which tells our own timeout
// apart from a deadline the caller set. It wraps context.DeadlineExceeded because the
// transport reports the cause, and code that checks for a deadline should still see one.
var errClientTimeout = fmt.Errorf("composio: client timeout: %w", context.DeadlineExceeded)

// do sends a request and decodes a 2xx JSON answer into v (when v is not nil); any
// other status becomes CheckResponse's error. It retries as retryWait allows, with
// idempotent saying whether the call may be repeated after it may have taken effect,
// and returns how many attempts it made; an error from more than one attempt comes
// wrapped in *AttemptsError. The returned response's body is already read and closed;
// only its status and headers are left to use.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, idempotent bool, v any) (*http.Response, int, error) {
	var payload []byte
	if b, ok := body.(encodedJSON); ok {
		payload = b
	} else if body != nil {
		var err error
		// Encoded once: every attempt sends the same bytes.
		if payload, err = json.Marshal(body); err != nil {
			// The error names the type at fault, never the body's content.
			return nil, 0, fmt.Errorf("composio: encoding request: %w", err)
		}
	}
	// The timeout bounds the whole call, retries and waits included: MCP
	// clients give a tool call about a minute, and an answer after that is lost.
	callerCtx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.timeout, errClientTimeout)
		defer cancel()
	}
	for attempts := 1; ; attempts++ {
		start := time.Now()
		resp, err := c.attempt(callerCtx, ctx, method, path, query, payload, v)
		c.observe(method, path, attempts, start, resp, err)
		if err == nil {
			return resp, attempts, nil
		}
		wait, ok := c.retryWait(ctx, err, attempts, idempotent)
		if !ok {
			return resp, attempts, withAttempts(err, attempts)
		}
		observeRetry(ctx, attempts, wait, err)
		if err := c.sleep(ctx, wait); err != nil {
			// The caller gave up while we waited: its context's error is the answer,
			// as in callError.
			return nil, attempts, withAttempts(c.callError(callerCtx, ctx, err), attempts)
		}
	}
}

// attempt is one try of do. ctx is the caller's context; callCtx bounds the
// attempt (the caller's context with the client's timeout for the whole call).
func (c *Client) attempt(ctx, callCtx context.Context, method, path string, query url.Values, payload []byte, v any) (*http.Response, error) {
	req, err := c.newRequest(callCtx, method, path, query, payload)
	if err != nil {
		return nil, err
	}
	// The slot is held until the body is read and decoded: it bounds the
	// connections and the response bodies in memory, not only the requests.
	slotCtx, cancelSlot := c.slotContext(callCtx)
	release, err := c.limiter.acquire(slotCtx, c.callerID)
	cancelSlot()
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		// Out of time waiting for a slot, whoever's deadline it was: the
		// answer is that the server is busy.
		return nil, err
	}
	defer release()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, c.callError(ctx, callCtx, err)
	}
	defer func() {
		// Drain a little so the connection goes back to the pool.
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrainBytes)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return resp, redirectError(resp)
	}
	if err := CheckResponse(resp); err != nil {
		if callCtx.Err() != nil {
			// The error body may be cut short; the timeout is the better answer.
			return resp, c.callError(ctx, callCtx, err)
		}
		return resp, err
	}
	if resp.ContentLength > c.maxResponseBytes {
		// Announced too long: no need to read a byte of it.
		return resp, &ResponseTooLargeError{Limit: c.maxResponseBytes}
	}
	b, pooled, err := readBody(resp, c.maxResponseBytes)
	if pooled != nil {
		defer putBodyBuf(pooled)
	}
	if err != nil {
		return resp, c.callError(ctx, callCtx, err)
	}
	if int64(len(b)) > c.maxResponseBytes {
		return resp, &ResponseTooLargeError{Limit: c.maxResponseBytes}
	}
	if v == nil || len(bytes.TrimSpace(b)) == 0 {
		return resp, nil
	}
	// A body read into a pooled buffer is reused by the next call, so what is
	// decoded from it must be copied; one read into its own buffer may be
	// kept as it is, which spares a copy of a large upstream answer.
	if err := decodeBody(b, v, pooled == nil); err != nil {
		return resp, fmt.Errorf("composio: decoding %s response%s: %w", http.StatusText(resp.StatusCode), contentTypeNote(resp.Header), err)
	}
	return resp, nil
}

// contentTypeNote names a non-JSON Content-Type for a decoding error, since "invalid
// character '<'" alone does not say that a proxy answered with an HTML page.
func contentTypeNote(h http.Header) string {
	ct := h.Get("Content-Type")
	if ct == "" || strings.Contains(ct, "json") {
		return ""
	}
	return " (Content-Type " + truncateUTF8(strings.ToValidUTF8(ct, "?"), 100) + ")"
}

// callError turns a failure while talking to Composio into the error callers act on:
// the caller's own context error when that context is done (the transport's message
// would only obscure it), a *TimeoutError when the client's timeout ran out, or the
// transport error wrapped, so errors.Is still finds e.g. syscall.ECONNREFUSED.
func (c *Client) callError(ctx, callCtx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(context.Cause(callCtx), errClientTimeout) {
		return &TimeoutError{After: c.timeout, Err: err}
	}
	return fmt.Errorf("composio: %w", err)
}
