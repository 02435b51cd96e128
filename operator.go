package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// addOperatorFlags registers the flags of sessions, the companion tools, the
// audit log and multi-tenant serving.
func (c *config) addOperatorFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.userID, "user-id", "", "Composio user id: without --session-id the server creates a tool-router session for this user at start, and replaces any session that expires")
	fs.Func("toolkits", "comma-separated toolkit slugs enabled in sessions the server creates, e.g. gmail,github (default: Composio's)", func(s string) error {
		c.toolkits = nil
		for _, t := range splitList(s) {
			c.toolkits = append(c.toolkits, strings.ToLower(t))
		}
		return nil
	})
	c.tools = tools.Names()
	fs.Func("tools", "comma-separated tools to serve (default: "+strings.Join(tools.Names(), ",")+")", func(s string) error {
		c.tools = nil
		for _, t := range splitList(s) {
			if !slices.Contains(tools.Names(), t) {
				return fmt.Errorf("unknown tool %q: want some of %s", t, strings.Join(tools.Names(), ", "))
			}
			if !slices.Contains(c.tools, t) {
				c.tools = append(c.tools, t)
			}
		}
		return nil
	})
	fs.StringVar(&c.auditLog, "audit-log", "", "append one JSON line per tool call to this file (no bodies, no secrets, query values redacted)")
	fs.BoolVar(&c.multiTenant, "multi-tenant", false, "on the sse and http transports: hold no Composio key; each MCP client sends X-Composio-Api-Key and X-Composio-User-Id (or X-Composio-Session-Id) headers. Streamable HTTP then runs stateless")
}

// validateOperator checks the settings of addOperatorFlags against the rest.
func (c *config) validateOperator() error {
	if len(c.tools) == 0 {
		return fmt.Errorf("--tools names no tool: want some of %s", strings.Join(tools.Names(), ", "))
	}
	if c.transport == "stdio" && slices.Contains([]string{"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "-"}, c.auditLog) {
		return fmt.Errorf("--audit-log %s: on stdio, stdout carries the MCP messages; write the audit log to a file", c.auditLog)
	}
	if !c.multiTenant {
		return nil
	}
	switch {
	case c.transport == "stdio":
		return errors.New("--multi-tenant needs --transport http (or sse): on stdio there is one client, so give the server its own COMPOSIO_API_KEY instead")
	case c.sandbox:
		return errors.New("--multi-tenant and --sandbox do not go together: the sandbox has one fake account")
	case c.apiKey != "" || c.userAPIKey != "":
		return errors.New("--multi-tenant: unset COMPOSIO_API_KEY and COMPOSIO_USER_API_KEY; each MCP client sends its own key in X-Composio-Api-Key")
	case c.sessionID != "" || c.userID != "":
		return errors.New("--multi-tenant: unset the session id and user id; each MCP client sends its own in X-Composio-Session-Id or X-Composio-User-Id")
	case len(c.features.uploadRoots) > 0:
		// Uploads read the server's own disk: every remote tenant could send
		// its files to any API.
		return errors.New("--multi-tenant and --upload-root do not go together: remote callers would read files from this machine")
	}
	return nil
}

// enabled reports whether the config serves the named tool.
func (c *config) enabled(tool string) bool { return slices.Contains(c.tools, tool) }

// newClient returns the server's Composio client, or nil on a multi-tenant
// server, which holds no key and makes a client per caller instead.
func newClient(cfg *config, opts []client.Option) (*client.Client, error) {
	if cfg.multiTenant {
		return nil, nil
	}
	return client.New(opts...)
}

// buildTools wires the tools the config names: where each call's client and
// session come from, the features, the secrets to mask and the audit log.
// For a server given a user id and no session id, it creates the session now,
// so that a bad key or user id fails at start rather than on the first call.
// The returned function closes the audit log.
func buildTools(ctx context.Context, cfg *config, c *client.Client, clientOpts []client.Option, results *tools.ResultStore, logger *slog.Logger) (*tools.Set, func(), error) {
	f := cfg.features
	tc := tools.Config{
		Logger: logger, Policy: cfg.policy(), Tools: cfg.tools,
		MaxResultBytes: f.maxResultBytes, Results: results, InlineImagesMax: f.inlineImagesMax,
		UploadRoots: f.uploadRoots, DryRun: f.dryRun, ConfirmWrites: f.confirmWrites,
		Secrets: []string{cfg.apiKey, cfg.userAPIKey, cfg.authToken},
	}
	if cfg.multiTenant {
		tc.Tenants = newTenantResolver(clientOpts, cfg.toolkits, logger)
		tc.CallerSecrets = tenantSecrets
	} else {
		m := session.New(c, session.Config{SessionID: cfg.sessionID, UserID: cfg.userID, Toolkits: cfg.toolkits, Logger: logger})
		if _, err := m.Current(ctx); err != nil {
			return nil, nil, fmt.Errorf("creating a tool-router session for user %q: %w", cfg.userID, err)
		}
		tc.Client, tc.Sessions = c, m
	}
	closeLog := func() {}
	if cfg.auditLog != "" {
		log, err := audit.Open(cfg.auditLog)
		if err != nil {
			return nil, nil, fmt.Errorf("--audit-log: %w", err)
		}
		tc.Audit, closeLog = log, func() { _ = log.Close() }
		logger.Info("writing the audit log", "file", cfg.auditLog)
	}
	set, err := tools.New(tc)
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	return set, closeLog, nil
}

// tenantSecrets are the credentials a multi-tenant caller sent, to be masked
// in its results.
func tenantSecrets(h http.Header) []string {
	return []string{strings.TrimSpace(h.Get(headerAPIKey)), strings.TrimSpace(h.Get(headerUserAPIKey))}
}
