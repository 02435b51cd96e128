package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults of the HTTP limits in HTTPOptions.
const (
	DefaultMaxConnections     = 1024
	DefaultMaxInflight        = 256
	DefaultReadTimeout        = 30 * time.Second
	DefaultMaxSessions        = 4096
	DefaultSessionIdleTimeout = 10 * time.Minute
	DefaultMaxStreams         = 1024
)

// retryAfterSeconds is what a 503 past a cap tells the client to wait: long
// enough for a call or an idle connection to end, short enough to retry soon.
const retryAfterSeconds = 5

// limitListener caps the connections open at once: past the cap, Accept
// waits for one to close, so new clients queue in the kernel's backlog
// rather than each costing a descriptor and a goroutine.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// semaphore is a non-blocking counter of slots: a request past the cap is
// refused at once, never queued, so that a flood cannot hold goroutines.
type semaphore chan struct{}

func (s semaphore) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s semaphore) release() { <-s }

// busy answers 503 with Retry-After: the server is at a cap, and the client
// may try again shortly. Like any refusal, it leaves the body unread.
func busy(w http.ResponseWriter, what string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	Refuse(w, "Service Unavailable: "+what+"; retry later", http.StatusServiceUnavailable)
}

// isStream reports whether r opens a long-lived event stream (GET /sse, GET
// /mcp): those are counted against the stream cap, not the request cap.
func isStream(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.URL.Path == "/sse" || r.URL.Path == "/mcp")
}

// limits returns next behind the per-listener cap on open event streams and
// the per-request deadline on reading the body. The cap on requests in flight
// is requestCap's, inside the guard.
func limits(next http.Handler, maxStreams int, readTimeout time.Duration, observer Observer) http.Handler {
	streams := make(semaphore, maxStreams)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// First, so that every body, whoever reads or discards it, is bound.
		if readTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
			// A shallow copy: net/http inspects the request it made to decide
			// how to close a connection whose body was left unread.
			r = r.WithContext(r.Context())
			r.Body = newDeadlineBody(w, r.Body, readTimeout)
		}
		if isStream(r) {
			if !streams.tryAcquire() {
				busy(w, "too many open event streams")
				return
			}
			defer streams.release()
			observer.StreamsChanged(1)
			defer observer.StreamsChanged(-1)
		}
		next.ServeHTTP(w, r)
	})
}

// requestCap returns a wrapper that caps the requests in flight at
// maxInflight, one semaphore for every handler it wraps. It goes inside the
// guard, which has read the whole body by then: a client trickling its body
// holds a connection (bounded by --max-connections and the read deadline),
// never one of these slots, so slow anonymous bodies cannot starve the calls
// of everyone else. running reports the tool calls in flight, which over SSE
// outlive the POST that carried them; they count against the same cap.
func requestCap(maxInflight int, running func() int) func(http.Handler) http.Handler {
	requests := make(semaphore, maxInflight)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isStream(r) {
				next.ServeHTTP(w, r)
				return
			}
			if !requests.tryAcquire() {
				busy(w, "too many requests in flight")
				return
			}
			defer requests.release()
			if r.Method == http.MethodPost && running() >= maxInflight {
				busy(w, "too many calls in flight")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// deadlineBody bounds the time to read a whole request body: a client that
// trickles its body a byte at a time loses the connection when the deadline
// passes. The deadline is lifted once the body has been read to its end, as
// the connection's background read, which notices a client going away while
// a call runs, must not time out.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	once sync.Once
}

func newDeadlineBody(w http.ResponseWriter, body io.ReadCloser, d time.Duration) io.ReadCloser {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return body // not a real connection (a test recorder): nothing to bound
	}
	return &deadlineBody{ReadCloser: body, rc: rc}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.once.Do(func() { _ = b.rc.SetReadDeadline(time.Time{}) })
	}
	return n, err
}

// isTimeout reports whether err is a read that ran past its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// CloseWrite half-closes the connection, as net/http does before closing one
// whose request body it left unread: the client then reads the answer
// instead of a reset.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// releaseKey is the context key of a checked request's release of its
// check slot (see checkCap).
type releaseKey struct{}

// checkCap returns check (Auth, the token) bounded to maxInflight requests
// being checked at once, past which a request gets 503 before any check
// runs: a flood of bad tokens costs no more than that. A request's slot is
// released as soon as the check hands it on, so that a body trickling in
// afterwards holds none; the call then counts against requestCap.
func checkCap(maxInflight int, check func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	slots := make(semaphore, maxInflight)
	return func(next http.Handler) http.Handler {
		checked := check(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if release, ok := r.Context().Value(releaseKey{}).(func()); ok {
				release()
			}
			next.ServeHTTP(w, r)
		}))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isStream(r) {
				checked.ServeHTTP(w, r)
				return
			}
			if !slots.tryAcquire() {
				busy(w, "too many requests in flight")
				return
			}
			var once sync.Once
			release := func() { once.Do(slots.release) }
			defer release()
			checked.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), releaseKey{}, release)))
		})
	}
}
