package config

import (
	"context"
	"errors"
	"golang.org/x/time/rate"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/logging"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/tenant"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// Validate checks what flags alone cannot: the values and their
// combination, and that the server has the credentials it needs.
func (c *Config) Validate() error {
	if err := c.ValidateSettings(); err != nil {
		return err
	}
	if c.Sandbox || c.MultiTenant {
		return nil
	}
	if c.SignIn() && c.APIKey == "" {
		return errors.New("--oauth-issuer: set COMPOSIO_API_KEY (the Composio project API key, ak_…) in the environment: the server creates each signed-in person's session with it")
	}
	if c.SignIn() {
		return nil
	}
	if c.APIKey == "" && c.UserAPIKey == "" {
		return errors.New("set COMPOSIO_API_KEY (your Composio project API key, ak_…) in the environment, or run with --sandbox to try the server without one")
	}
	if c.SessionID == "" && c.UserID == "" {
		return errors.New("set COMPOSIO_USER_ID (or --user-id) so that the server creates its own tool-router session, or COMPOSIO_SESSION_ID (or --session-id) to an existing one (trs_…), or run with --sandbox to try the server without either")
	}
	return nil
}

// ValidateSettings is Validate without the check that a key and a user or
// session are set, which doctor reports on in its own words.
func (c *Config) ValidateSettings() error {
	for _, d := range c.flags() {
		if d.check == nil {
			continue
		}
		if err := d.check(); err != nil {
			return err
		}
	}
	return nil
}

// LogLevel is --log-level; Validate has checked it.
func (c *Config) LogLevel() slog.Level {
	level, _ := logging.ParseLevel(c.logLevel)
	return level
}

// Enabled reports whether the config serves the named tool.
func (c *Config) Enabled(tool string) bool { return slices.Contains(c.tools, tool) }

// Policy is the agent policy the flags describe. --read-only narrows any
// --allow-methods list to its reading methods.
func (c *Config) Policy() tools.Policy {
	p := tools.Policy{
		Toolkits:                  c.allowToolkits,
		Methods:                   c.allowMethods,
		AllowAbsoluteURLs:         c.allowAbsoluteURLs,
		AllowCustomConnectionData: c.allowCustomConnectionData,
	}
	if c.readOnly {
		if len(p.Methods) == 0 {
			p.Methods = tools.ReadOnlyMethods()
		} else {
			var ro []string
			for _, m := range p.Methods {
				if slices.Contains(tools.ReadOnlyMethods(), m) {
					ro = append(ro, m)
				}
			}
			if len(ro) == 0 {
				// Validate refuses this combination; should it get here, the
				// stricter setting wins.
				ro = tools.ReadOnlyMethods()
			}
			p.Methods = ro
		}
	}
	return p
}

// RateLimitPerMinute resolves the transport default of --rate-limit.
func (c *Config) RateLimitPerMinute() int {
	if c.rateLimit >= 0 {
		return c.rateLimit
	}
	if c.Transport == "stdio" {
		return 0
	}
	return 600
}

// UpstreamCallsPerCaller is --max-upstream-calls-per-caller with its default
// resolved: without --multi-tenant every call uses the server's one
// credential, so a lower per-caller cap would silently be the process's cap.
func (c *Config) UpstreamCallsPerCaller() int {
	switch {
	case c.maxUpstreamCallsPerCaller > 0:
		return c.maxUpstreamCallsPerCaller
	case c.MultiTenant:
		return min(16, c.maxUpstreamCalls)
	default:
		return c.maxUpstreamCalls
	}
}

// ClientOptions are the options of the server's Composio client; a
// multi-tenant server makes each caller's client from them too. They hold
// one new limiter of calls in flight, which every client made from them
// shares: call it once per process.
func (c *Config) ClientOptions(userAgent string) []client.Option {
	var observe client.Observer
	if m := c.Metrics(); m != nil {
		observe = m.Upstream
	}
	return []client.Option{
		client.WithBaseURL(c.BaseURL),
		client.WithAPIKey(c.APIKey),
		client.WithUserAPIKey(c.UserAPIKey),
		client.WithTimeout(c.Timeout),
		client.WithMaxRetries(c.maxRetries),
		client.WithUserAgent(userAgent),
		client.WithAPIVersion(c.APIVersion),
		client.WithCallLimiter(client.NewCallLimiter(c.maxUpstreamCalls, c.UpstreamCallsPerCaller())),
		client.WithObserver(observe),
	}
}

// SessionConfig is how the server's sessions are made: for the user id
// given, with the session options of the flags; with a store, kept in the
// cache the fleet shares, under the server's credential (a multi-tenant
// server's Resolver puts each caller's in its place).
func (c *Config) SessionConfig(logger *slog.Logger) session.Config {
	return session.Config{
		SessionID: c.SessionID, UserID: c.UserID,
		Toolkits: c.Toolkits, DisableToolkits: c.DisableToolkits,
		AuthConfigs: c.AuthConfigs, ConnectedAccounts: c.ConnectedAccounts,
		Logger: logger,
		Shared: c.sharedSessions(), Owner: c.sharedCaller(),
		// One for every Manager of the process: a pool of them warns once.
		StoreWarn:     &rate.Sometimes{Interval: logging.StoreWarnEvery},
		CreateTimeout: c.Timeout,
	}
}

// ShutdownTimeout is how long an HTTP server drains on SIGTERM: the longest
// a call may take, retries included, and a margin for its answer to be
// written.
func (c *Config) ShutdownTimeout() time.Duration { return c.Timeout + 10*time.Second }

// StdioOptions are the stdio transport's settings.
func (c *Config) StdioOptions(logger *slog.Logger) server.StdioOptions {
	return server.StdioOptions{
		MaxMessageBytes: c.maxRequestBytes,
		// At EOF, calls already read may take up to the call timeout.
		DrainTimeout:   c.Timeout + 5*time.Second,
		WriteGrace:     c.stdioWriteGrace,
		MaxQueuedBytes: c.stdioQueueBytes,
		Logger:         logger,
		Metrics:        c.serverMetrics(),
	}
}

// ServerOptions are the MCP server's settings: its name and version, what
// the tool set serves besides its tools (instructions, resource templates),
// and the rate limit.
func (c *Config) ServerOptions(name, version string, set *tools.Set, logger *slog.Logger) server.Options {
	return server.Options{
		Name:         name,
		Version:      version,
		Instructions: set.Instructions(),
		Logger:       logger,
		RateLimit:    c.RateLimitPerMinute(),
		RateLimitKey: tenant.RateLimitKey(c.ManyCallers(), c.sharedCaller()),
		Limiter:      c.sharedLimiter(),
		Resources:    set.Templates(),
		Observer:     c.ServerObserver(),
	}
}

// httpOptions are the settings of the sse and http transports but sign-in
// (see HTTPOptions).
func (c *Config) httpOptions(logger *slog.Logger) server.HTTPOptions {
	return server.HTTPOptions{
		Transport: c.Transport,
		Guard: server.Guard{
			AllowedOrigins:       c.allowedOrigins,
			AllowLoopbackOrigins: loopback.Addr(c.Listen),
			Token:                c.AuthToken,
			MaxRequestBytes:      c.maxRequestBytes,
		},
		Logger: logger,
		// A fleet sends each request to any replica, and MCP sessions live
		// in one process: with a shared store every request stands alone.
		Stateless:          c.ManyCallers() || c.StoreURL != "",
		Ready:              c.ready(),
		ShutdownTimeout:    c.ShutdownTimeout(),
		MaxConnections:     c.maxConnections,
		MaxInflight:        c.maxInflight,
		ReadTimeout:        c.readTimeout,
		MaxSessions:        c.maxSessions,
		SessionIdleTimeout: c.sessionIdleTimeout,
		MaxStreams:         c.maxStreams,
		Metrics:            c.serverMetrics(),
		CallerID:           tenant.CallerID(c.ManyCallers()),
	}
}

// Tenants is where the calls of a server with many callers go: each
// multi-tenant caller's own key, or each signed-in person's session under the
// server's key; nil for a server with one user. Its clients are built with
// clientOpts.
func (c *Config) Tenants(clientOpts []client.Option, logger *slog.Logger) tools.Tenants {
	switch {
	case c.MultiTenant:
		return tenant.NewResolver(clientOpts, c.SessionConfig(logger))
	case c.SignIn():
		return tenant.NewSignedIn(clientOpts, c.SessionConfig(logger))
	}
	return nil
}

// ToolsConfig is the part of the tools' configuration that flags decide:
// what they serve and allow, how they shape results, and the secrets they
// mask. Where calls go (a client and session, or per-caller tenants) and the
// audit log are left to the caller, which owns their lifetimes.
func (c *Config) ToolsConfig(logger *slog.Logger) tools.Config {
	tc := tools.Config{
		Logger: logger, Policy: c.Policy(), Tools: c.tools,
		MaxResultBytes: c.MaxResultBytes, InlineImagesMax: c.InlineImagesMax,
		UploadRoots: c.UploadRoots, DownloadDir: c.DownloadDir, DryRun: c.DryRun, ConfirmWrites: c.ConfirmWrites,
		ConnectCallbackURL: c.connectCallbackURL,
		APIVersion:         c.APIVersion,
		Secrets:            c.Secrets(),
		ConnectWait:        c.ConnectWait, CallTimeout: c.Timeout,
		ConfirmKey: c.ConfirmKey(), Replays: c.sharedReplays(), CallerOwner: c.resultOwner(),
	}
	rc := results.Config{
		MaxBytes: c.ResultStoreBytes, QuotaPerCaller: c.ResultQuotaPerCaller, TTL: c.ResultTTL,
		Owner: c.resultOwner(),
		// nil without --store: the results stay in this process.
		Redis: c.Store(),
	}
	if m := c.Metrics(); m != nil {
		tc.Observe, rc.Observer = m.ToolCall, m
	}
	if c.MaxResultBytes > 0 {
		tc.Results = results.New(rc)
	}
	if c.MultiTenant {
		tc.CallerSecrets = tenant.Secrets
	}
	return tc
}

// resultOwner owns the results of a call: each caller on a server with many;
// otherwise the process, or, with a store other deployments may share, the
// server's own credential and user (tenant.StoredOwner).
func (c *Config) resultOwner() func(context.Context, http.Header) string {
	if c.ManyCallers() || c.Store() == nil {
		return tenant.ResultOwner(c.ManyCallers())
	}
	return tenant.StoredOwner(tenant.Credential(c.APIKey, c.UserAPIKey), c.UserID)
}
