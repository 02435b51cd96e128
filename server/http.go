package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	// calls; 0 means 30 s.
	ShutdownTimeout time.Duration
	// Logger receives transport errors; nil discards.
	Logger *slog.Logger
	// Stateless runs streamable HTTP without sessions: every request stands
	// alone, so replicas behind a load balancer need no shared state. It
	// suits servers whose callers send their credentials with every request.
	Stateless bool
}

// Handler returns the HTTP handler for s: the chosen MCP transport behind the
// guard, and GET /healthz. The returned shutdown function closes the
// transport's sessions.
func Handler(s *server.MCPServer, o HTTPOptions) (http.Handler, func(context.Context) error, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	var shutdown func(context.Context) error
	switch o.Transport {
	case TransportSSE:
		opts := []server.SSEOption{server.WithKeepAliveInterval(25 * time.Second)}
		if len(o.Guard.AllowedOrigins) > 0 {
			opts = append(opts, server.WithSSECORS(server.WithCORSAllowedOrigins(o.Guard.AllowedOrigins...)))
		}
		sse := server.NewSSEServer(s, opts...)
		guarded := o.Guard.Wrap(sse)
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
		if len(o.Guard.AllowedOrigins) > 0 {
			opts = append(opts, server.WithStreamableHTTPCORS(server.WithCORSAllowedOrigins(o.Guard.AllowedOrigins...)))
		}
		h := server.NewStreamableHTTPServer(s, opts...)
		mux.Handle("/mcp", o.Guard.Wrap(h))
		shutdown = h.Shutdown
	default:
		return nil, nil, fmt.Errorf("unknown HTTP transport %q (want %q or %q)", o.Transport, TransportSSE, TransportHTTP)
	}
	return mux, shutdown, nil
}

// streamFlushGrace is how long a shutdown waits, after the last call has
// finished, for its answer to reach the client's event stream.
const streamFlushGrace = 200 * time.Millisecond

// ServeHTTP serves s on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets in-flight calls finish (up to ShutdownTimeout), and
// closes the transport's sessions.
func ServeHTTP(ctx context.Context, s *server.MCPServer, ln net.Listener, o HTTPOptions) error {
	h, closeSessions, err := Handler(s, o)
	if err != nil {
		return err
	}
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
	trackerOf(s).wait(sctx)
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
