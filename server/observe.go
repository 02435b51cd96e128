package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
)

// Observer is told of the server's events, for metrics; the server itself
// knows nothing of how they are counted. Its methods run on the serving
// goroutines and must return quickly.
type Observer interface {
	// RateLimited reports a tool call refused by the rate limit.
	RateLimited()
	// SessionsChanged reports MCP sessions opened (+1) or closed (-1).
	SessionsChanged(delta int)
	// StreamsChanged reports event streams opened (+1) or closed (-1).
	StreamsChanged(delta int)
}

// nopObserver is the Observer of a server given none.
type nopObserver struct{}

func (nopObserver) RateLimited()        {}
func (nopObserver) SessionsChanged(int) {}
func (nopObserver) StreamsChanged(int)  {}

// observeSessions counts the sessions mcp-go registers, on every transport.
func observeSessions(hooks *server.Hooks, o Observer) {
	hooks.AddOnRegisterSession(func(context.Context, server.ClientSession) { o.SessionsChanged(1) })
	hooks.AddOnUnregisterSession(func(context.Context, server.ClientSession) { o.SessionsChanged(-1) })
}

// Metrics is what the server serves to a metrics scraper.
type Metrics struct {
	// Handler answers GET /metrics; nil serves no metrics. On the HTTP
	// transports it is served on their own listener, behind the guard.
	Handler http.Handler
	// Listen, when set with Handler, is the address (host:port) of a
	// listener of its own that serves only GET /metrics, without the guard:
	// for a scraper, and the only way to get metrics on stdio.
	Listen string
}

// serveMetrics serves m on its own listener, when it has one, until the
// returned function is called. It logs where, to the logger (stderr), never
// to stdout, which on stdio carries the MCP messages.
func serveMetrics(ctx context.Context, m Metrics, logger *slog.Logger) (stop func(), err error) {
	if m.Handler == nil || m.Listen == "" {
		return func() {}, nil
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", m.Listen)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", loopbackHost(m.Handler))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().(*net.TCPAddr)
	logger.Info("serving metrics", "url", "http://"+addr.String()+"/metrics")
	if !addr.IP.IsLoopback() {
		logger.Warn("the metrics listener is reachable from other machines and asks no token", "listen", m.Listen)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// unguardedOnLoopback serves h where it is guarded (a token, sign-in), or
// else only on a loopback listener, and there only to a loopback Host: an
// unguarded server on a public address serves its metrics on their own
// listener alone.
func unguardedOnLoopback(guarded bool, h http.Handler) http.Handler {
	if guarded {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !onLoopback(r) {
			http.NotFound(w, r)
			return
		}
		loopbackHost(h).ServeHTTP(w, r)
	})
}

// onLoopback reports whether r reached a loopback listener.
func onLoopback(r *http.Request) bool {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	host, _, err := net.SplitHostPort(a.String())
	return err == nil && loopback.IP(host)
}

// loopbackHost refuses (403), on a loopback listener, a request whose Host
// is not loopback: a page on another site whose name resolves to 127.0.0.1
// (DNS rebinding) reads nothing.
func loopbackHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			name = r.Host
		}
		if onLoopback(r) && !loopback.Host(name) {
			http.Error(w, "Forbidden: invalid Host header", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
