package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// buildTools wires the tools the config names to where their calls go: the
// server's own client and session, or each caller's (multi-tenant or
// signed in), and to the audit log. A server given a user id and no session id creates the session
// now, so that a bad key or user id fails at start rather than on the first
// call. The returned function closes the audit log.
func buildTools(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*tools.Set, func(), error) {
	clientOpts := cfg.ClientOptions("composio-proxy-mcp/" + programVersion())
	tc := cfg.ToolsConfig(logger)
	if t := cfg.Tenants(clientOpts, logger); t != nil {
		tc.Tenants = t
	} else {
		c, err := client.New(clientOpts...)
		if err != nil {
			return nil, nil, err
		}
		m := session.New(c, cfg.SessionConfig(logger))
		if _, err := m.Current(ctx); err != nil {
			return nil, nil, fmt.Errorf("creating a tool-router session for user %q: %w", cfg.UserID, err)
		}
		tc.Client, tc.Sessions = c, m
	}
	closeLog := func() {}
	if cfg.AuditLog != "" {
		log, err := audit.Open(cfg.AuditLog)
		if err != nil {
			return nil, nil, fmt.Errorf("--audit-log: %w", err)
		}
		tc.Audit, closeLog = log, func() { _ = log.Close() }
		logger.Info("writing the audit log", "file", cfg.AuditLog)
	}
	set, err := tools.New(tc)
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	return set, closeLog, nil
}
