package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// Transport names for HTTPOptions.Transport.
const (
	TransportSSE  = "sse"
	TransportHTTP = "http"
)

// HTTPOptions configures the HTTP transports.
type HTTPOptions struct {
	// Transport is TransportSSE (GET /sse + POST /message) or TransportHTTP
	// (streamable HTTP at /mcp).
	Transport string
	// Guard is the middleware policy in front of the MCP endpoints.
	Guard Guard
	// ShutdownTimeout bounds how long a graceful shutdown waits for in-flight
	// calls; 0 means 30 s. It should exceed the longest call.
	ShutdownTimeout time.Duration
	// MaxConnections caps the connections open at once on the listener; past
	// it, new connections wait to be accepted. 0 means DefaultMaxConnections.
	MaxConnections int
	// MaxInflight caps the requests, and the tool calls, in flight at once;
	// past it, a request gets 503 with Retry-After. 0 means
	// DefaultMaxInflight.
	MaxInflight int
	// ReadTimeout bounds the time to read a whole request body, from the end
	// of its headers; past it, the connection is closed. 0 means
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// MaxSessions caps the streamable HTTP sessions held at once; past it,
	// initialize gets 503 with Retry-After. 0 means DefaultMaxSessions.
	MaxSessions int
	// SessionIdleTimeout is how long a streamable HTTP session without an open
	// stream is kept after its last request. 0 means
	// DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
	// MaxStreams caps the event streams (GET /sse, GET /mcp) open at once;
	// past it, a new one gets 503 with Retry-After. 0 means
	// DefaultMaxStreams.
	MaxStreams int
	// Logger receives transport errors; nil discards.
	Logger *slog.Logger
	// Stateless runs streamable HTTP without sessions: every request stands
	// alone, so replicas behind a load balancer need no shared state. It
	// suits servers whose callers send their credentials with every request.
	Stateless bool
	// Metrics are served at GET /metrics behind the guard, and on a
	// listener of their own when Metrics.Listen is set.
	Metrics Metrics

	// Auth, when set, checks the caller of every MCP request before the
	// guard, so that a caller it refuses gets no body read; it may put
	// values in the request's context, which ContextFunc carries to the
	// tools.
	Auth func(http.Handler) http.Handler
	// ContextFunc, when set, makes the context of an MCP request's handling
	// from the HTTP request (mcp-go's HTTPContextFunc, SSEContextFunc).
	ContextFunc func(context.Context, *http.Request) context.Context
	// Routes are more handlers, by ServeMux pattern, behind the guard but
	// not Auth: what a caller needs before it can authenticate. A GET one
	// answers CORS preflights of the allowed origins.
	Routes map[string]http.Handler

	// Ready reports whether the server can serve what needs its store, for
	// GET /readyz; nil means always ready.
	Ready func(context.Context) error
	// CallerID, when set, names the caller of a request past Auth (a hash,
	// never a credential): an SSE session is bound to the caller that
	// opened its stream, and a POST /message from another is answered as
	// one for an unknown session (404).
	CallerID func(*http.Request) string
}

// checks returns the wrapping of an MCP endpoint: the Origin check (403),
// then the caller (Auth, the bearer token: 401, 403) within a cap of its
// own on requests being checked (503), then the body size (413), then the
// cap on requests in flight (capped), so that neither a page of another
// origin nor a flood of bad tokens gets work out of the server. A CORS
// preflight of an allowed origin, which never carries a token, skips Auth
// and the token.
func checks(o HTTPOptions, capped func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	cors := newCORS(o.Guard)
	auth := o.Auth
	if auth == nil {
		auth = func(h http.Handler) http.Handler { return h }
	}
	checked := checkCap(o.MaxInflight, func(h http.Handler) http.Handler { return auth(o.Guard.token(h)) })
	return func(next http.Handler) http.Handler {
		open := o.Guard.size(capped(next))
		return o.Guard.origin(cors.headers(cors.skipForPreflight(checked(open), open)))
	}
}

// handler returns the HTTP handler for s: the chosen MCP transport behind the
// guard, GET /healthz (liveness) and GET /readyz (readiness). The returned shutdown function closes the
// transport's sessions.
func handler(srv *Server, o HTTPOptions) (http.Handler, func(context.Context) error, error) {
	o = o.withDefaults()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	// Readiness, for probes that send no token: it says only whether the
	// store answers, never where it is or what it said.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Ready != nil && o.Ready(r.Context()) != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: results store unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	s := srv.mcp
	guard := checks(o, requestCap(o.MaxInflight, srv.calls.running))
	cors := newCORS(o.Guard)
	cors.routes(mux, o.Guard, o.Routes)
	var shutdown func(context.Context) error
	switch o.Transport {
	case TransportSSE:
		opts := []server.SSEOption{server.WithKeepAliveInterval(25 * time.Second)}
		if o.ContextFunc != nil {
			opts = append(opts, server.WithSSEContextFunc(o.ContextFunc))
		}
		if len(o.Guard.AllowedOrigins) > 0 {
			opts = append(opts, server.WithSSECORS(server.WithCORSAllowedOrigins(o.Guard.AllowedOrigins...),
				server.WithCORSExposedHeaders(exposedHeaders...)))
		}
		var bind func(http.Handler) http.Handler = func(h http.Handler) http.Handler { return h }
		if o.CallerID != nil {
			owners := newSSEOwners(o.CallerID, o.MaxStreams)
			opts, bind = append(opts, server.WithSessionIDGenerator(owners.newID)), owners.wrap
		}
		sse := server.NewSSEServer(s, opts...)
		guarded := guard(bind(sse))
		mux.Handle("/sse", guarded)
		mux.Handle("/message", guarded)
		// sse.Shutdown stops only a server it started itself; this one is
		// embedded, so its sessions are closed directly.
		shutdown = func(context.Context) error { sse.CloseSessions(); return nil }
	case TransportHTTP:
		opts := []server.StreamableHTTPOption{
			// Sessions are remembered, so a made-up Mcp-Session-Id is refused
			// with 404 instead of being served.
			server.WithStateful(true),
			server.WithStreamableHTTPLogger(orDiscard(o.Logger)),
		}
		if o.Stateless {
			opts = append(opts, server.WithStateLess(true))
		}
		if o.ContextFunc != nil {
			opts = append(opts, server.WithHTTPContextFunc(o.ContextFunc))
		}
		if len(o.Guard.AllowedOrigins) > 0 {
			opts = append(opts, server.WithStreamableHTTPCORS(server.WithCORSAllowedOrigins(o.Guard.AllowedOrigins...),
				server.WithCORSExposedHeaders(exposedHeaders...)))
		}
		if o.Stateless {
			h := server.NewStreamableHTTPServer(s, opts...)
			mux.Handle("/mcp", guard(h))
			shutdown = h.Shutdown
			break
		}
		table := newSessionTable(o.MaxSessions, o.SessionIdleTimeout)
		opts = append(opts, server.WithSessionIdManager(table))
		h := server.NewStreamableHTTPServer(s, opts...)
		// An expired session's transport state (its registration with the
		// MCP server, its stores) goes the way a client's DELETE sends it.
		table.expired = func(id string) {
			r, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, "/mcp", nil)
			r.Header.Set(server.HeaderKeySessionID, id)
			h.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		}
		stop := make(chan struct{})
		go sweepSessions(table, stop)
		mux.Handle("/mcp", guard(sessionRules(h, table)))
		var once sync.Once
		shutdown = func(ctx context.Context) error {
			once.Do(func() { close(stop) })
			return h.Shutdown(ctx)
		}
	default:
		return nil, nil, fmt.Errorf("unknown HTTP transport %q (want %q or %q)", o.Transport, TransportSSE, TransportHTTP)
	}
	if o.Metrics.Handler != nil {
		// Behind whatever guards the MCP endpoints (the token, or sign-in),
		// or, unguarded, on loopback only; a listener of its own, when asked
		// for, serves them without.
		mux.Handle("GET /metrics", guard(unguardedOnLoopback(o.Guard.Token != "" || o.Auth != nil, o.Metrics.Handler)))
		stop, err := serveMetrics(context.Background(), o.Metrics, orDiscard(o.Logger))
		if err != nil {
			_ = shutdown(context.Background())
			return nil, nil, err
		}
		closeTransport := shutdown
		shutdown = func(ctx context.Context) error { stop(); return closeTransport(ctx) }
	}
	return limits(mux, o.MaxStreams, o.ReadTimeout, srv.observer), shutdown, nil
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.SessionIdleTimeout <= 0 {
		o.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	return o
}

// sweepSessions drops idle sessions until stop is closed, so that the memory
// of sessions nobody comes back to is returned without waiting for the cap.
func sweepSessions(t *sessionTable, stop <-chan struct{}) {
	tick := time.NewTicker(min(max(t.idle/4, 100*time.Millisecond), time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			t.sweep()
		}
	}
}

// streamFlushGrace is how long a shutdown waits, after the last call has
// finished, for its answer to reach the client's event stream.
const streamFlushGrace = 200 * time.Millisecond

// ServeHTTP serves s on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets in-flight calls finish (up to ShutdownTimeout), and
// closes the transport's sessions.
func ServeHTTP(ctx context.Context, s *Server, ln net.Listener, o HTTPOptions) error {
	h, closeSessions, err := handler(s, o)
	if err != nil {
		return err
	}
	o = o.withDefaults()
	ln = newLimitListener(ln, o.MaxConnections)
	logger := orDiscard(o.Logger)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := o.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Stop accepting connections, let the calls in flight finish and deliver
	// their answers, then close the sessions: their event streams (SSE, GET
	// /mcp) never end on their own, and Shutdown waits for every handler.
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	s.calls.wait(sctx)
	// A finished call's answer is still encoded and queued onto its event
	// stream after the handler returns; give that a moment before the
	// streams close. The work left is microseconds, so this is ample.
	select {
	case <-time.After(streamFlushGrace):
	case <-sctx.Done():
	}
	_ = closeSessions(sctx)
	err = <-shut
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
