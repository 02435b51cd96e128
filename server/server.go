// Package server builds the MCP server and serves it over stdio, SSE or
// streamable HTTP, with the HTTP middleware that guards the network
// transports. It knows nothing of Composio: the tools it serves are handed in.
//
//	s := server.New(server.Options{Name: "demo", Version: "1.0.0"}, tool)
//	err := server.ServeStdio(ctx, s, os.Stdin, os.Stdout, server.StdioOptions{Logger: logger})
package server

import (
	"context"
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Options configures the MCP server.
type Options struct {
	// Name and Version identify the server in the initialize handshake.
	Name, Version string
	// Instructions tell the client's model how to use the server.
	Instructions string
	// Logger receives the server's own log lines; nil discards.
	Logger *slog.Logger
	// RateLimit is how many tool calls per minute each MCP session may make;
	// 0 means no limit.
	RateLimit int
	// RateLimitKey names the bucket a call counts against; nil means the MCP
	// session. A stateless HTTP server, where every request is a new session,
	// keys by caller instead.
	RateLimitKey func(context.Context, mcp.CallToolRequest) string
	// Limiter keeps the allowances; nil keeps a token bucket per key in this
	// process's memory. A fleet shares one in its store, and should key by
	// caller, since an MCP session lives on one replica.
	Limiter Limiter
	// Resources are resource templates to serve; with any, the server
	// declares the resources capability.
	Resources []server.ServerResourceTemplate
	// Observer, when set, is told of rate-limit refusals, sessions and event
	// streams, for metrics.
	Observer Observer
}

// Server is an MCP server built by New, ready for ServeStdio or ServeHTTP.
// Besides mcp-go's server it holds the count of the tool calls in flight,
// which a graceful end waits for.
type Server struct {
	mcp      *server.MCPServer
	calls    *inflight
	observer Observer // never nil
}

// New returns an MCP server that serves the given tools. It declares the tools
// and logging capabilities and turns a panicking tool handler into an error
// response rather than a crash.
func New(o Options, tools ...server.ServerTool) *Server {
	opts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithLogging(),
		server.WithRecovery(),
	}
	if o.Instructions != "" {
		opts = append(opts, server.WithInstructions(o.Instructions))
	}
	observer := o.Observer
	if observer == nil {
		observer = nopObserver{}
	}
	hooks := &server.Hooks{}
	if o.Observer != nil {
		observeSessions(hooks, observer)
	}
	if o.RateLimit > 0 {
		lim := o.Limiter
		if lim == nil {
			l := newRateLimiter(o.RateLimit)
			// The one Hooks given below: mcp-go keeps only the last.
			hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) { l.forget(s.SessionID()) })
			lim = l
		}
		g := newRateGate(o.RateLimit, lim, o.RateLimitKey, orDiscard(o.Logger))
		g.refused = observer.RateLimited
		opts = append(opts, server.WithToolHandlerMiddleware(g.middleware))
	}
	opts = append(opts, server.WithHooks(hooks))
	if len(o.Resources) > 0 {
		// No subscriptions or list changes: resources come and go with tool
		// calls, which name them in their results.
		opts = append(opts, server.WithResourceCapabilities(false, false), server.WithResourceRecovery())
	}
	calls := newInflight()
	// Outermost, so that a call refused by the rate limit is not counted.
	opts = append(opts, server.WithToolHandlerMiddleware(calls.middleware))
	s := server.NewMCPServer(o.Name, o.Version, opts...)
	s.AddTools(tools...)
	if len(o.Resources) > 0 {
		s.AddResourceTemplates(o.Resources...)
	}
	return &Server{mcp: s, calls: calls, observer: observer}
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
