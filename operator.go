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
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/tenant"
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
	c.tools = slices.Clone(tools.Names)
	fs.Func("tools", "comma-separated tools to serve (default: "+strings.Join(tools.Names, ",")+")", func(s string) error {
		c.tools = nil
		for _, t := range splitList(s) {
			if !slices.Contains(tools.Names, t) {
				return fmt.Errorf("unknown tool %q: want some of %s", t, strings.Join(tools.Names, ", "))
			}
			if !slices.Contains(c.tools, t) {
				c.tools = append(c.tools, t)
			}
		}
		return nil
	})
	fs.StringVar(&c.auditLog, "audit-log", "", "append one JSON line per tool call to this file (no bodies, no secrets, no query strings)")
	fs.BoolVar(&c.multiTenant, "multi-tenant", false, "on the sse and http transports: hold no Composio key; each MCP client sends X-Composio-Api-Key and X-Composio-User-Id (or X-Composio-Session-Id) headers. Streamable HTTP then runs stateless")
}

// validateOperator checks the settings of addOperatorFlags against the rest.
func (c *config) validateOperator() error {
	if len(c.tools) == 0 {
		return fmt.Errorf("--tools names no tool: want some of %s", strings.Join(tools.Names, ", "))
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
// session come from, the companion tools, and the audit log around them all.
// For a server given a user id and no session id, it creates the session now,
// so that a bad key or user id fails at start rather than on the first call.
// The returned function closes the audit log.
func buildTools(ctx context.Context, cfg *config, c *client.Client, clientOpts []client.Option, proxy *tools.Proxy, logger *slog.Logger) ([]mcpserver.ServerTool, func(), error) {
	var tenants tools.Tenants
	if cfg.multiTenant {
		tenants = tenant.NewResolver(clientOpts, cfg.toolkits, logger)
	} else {
		m := session.New(c, session.Config{SessionID: cfg.sessionID, UserID: cfg.userID, Toolkits: cfg.toolkits, Logger: logger})
		if _, err := m.Current(ctx); err != nil {
			return nil, nil, fmt.Errorf("creating a tool-router session for user %q: %w", cfg.userID, err)
		}
		tenants = tools.SingleTenant{Client: c, Sessions: m}
	}
	connectTool := ""
	if cfg.enabled(tools.ConnectToolkitName) {
		connectTool = tools.ConnectToolkitName
	}
	proxy.Tenants, proxy.ConnectTool = tenants, connectTool
	// One masker for every tool's results: the process's own secrets, and on
	// a multi-tenant server each caller's key, never reach a client.
	var callerSecrets func(http.Header) []string
	if cfg.multiTenant {
		callerSecrets = tenant.Secrets
	}
	masker := tools.NewMasker(callerSecrets, cfg.apiKey, cfg.userAPIKey, cfg.authToken)
	proxy.Masker = masker

	var list []mcpserver.ServerTool
	for _, name := range tools.Names {
		if !cfg.enabled(name) {
			continue
		}
		switch name {
		case tools.ProxyExecuteName:
			list = append(list, mcpserver.ServerTool{Tool: proxy.Tool(), Handler: proxy.Handle})
		case tools.ListToolkitsName:
			l := &tools.ListToolkits{Tenants: tenants, ConnectTool: connectTool, Logger: logger}
			list = append(list, mcpserver.ServerTool{Tool: l.Tool(), Handler: l.Handle})
		case tools.ConnectToolkitName:
			ct := &tools.ConnectToolkit{Tenants: tenants, Logger: logger}
			list = append(list, mcpserver.ServerTool{Tool: ct.Tool(), Handler: ct.Handle})
		}
	}
	for i := range list {
		list[i].Handler = masker.Wrap(list[i].Handler)
	}
	if cfg.auditLog == "" {
		return list, func() {}, nil
	}
	log, err := audit.Open(cfg.auditLog)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	for i := range list {
		list[i].Handler = audited(log, logger, list[i].Tool.Name, list[i].Handler)
	}
	logger.Info("writing the audit log", "file", cfg.auditLog)
	return list, func() { _ = log.Close() }, nil
}

// toolsInstructions adds to the server's instructions what the companion
// tools are for, when they are served.
func toolsInstructions(cfg *config) string {
	var b strings.Builder
	if cfg.enabled(tools.ListToolkitsName) {
		b.WriteString(" Call list_toolkits to see which toolkits (APIs) this session has and which are connected.")
	}
	if cfg.enabled(tools.ConnectToolkitName) {
		b.WriteString(" When a toolkit is not connected, call connect_toolkit: it gives a link the user opens to connect their account.")
	}
	return b.String()
}

// audited wraps a tool handler so that every call writes one audit entry,
// from the record the tool fills as it runs.
func audited(log *audit.Log, logger *slog.Logger, tool string, next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ctx, rec := tools.WithCallRecord(ctx)
		start := time.Now()
		res, err := next(ctx, req)
		e := audit.Entry{
			Time: start, Tool: tool, RequestID: rec.RequestID,
			Toolkit: rec.Toolkit, Method: rec.Method, Endpoint: rec.Endpoint,
			Status: rec.Status, Error: rec.Slug, Attempts: rec.Attempts,
			Duration: time.Since(start), Bytes: rec.Bytes,
			Outcome: outcome(rec, res, err),
		}
		if rec.Attempts == 0 {
			// Nothing was sent: describe the call as it was asked for.
			args := req.GetArguments()
			e.Toolkit, _ = args["toolkit_slug"].(string)
			if e.Toolkit == "" {
				e.Toolkit, _ = args["toolkit"].(string)
			}
			e.Method, _ = args["method"].(string)
			e.Endpoint, _ = args["endpoint"].(string)
		}
		if werr := log.Write(e); werr != nil {
			logger.Error("audit log", "err", werr)
		}
		return res, err
	}
}

// outcome classifies a finished call for the audit log.
func outcome(rec *tools.CallRecord, res *mcp.CallToolResult, err error) string {
	switch {
	case err != nil || res == nil:
		return audit.OutcomeInternalError
	case rec.Attempts == 0:
		if res.IsError {
			return audit.OutcomeRejected
		}
		return audit.OutcomeOK
	case rec.Failure == tools.FailureComposio:
		return audit.OutcomeComposioError
	case rec.Failure == tools.FailureNoAnswer:
		return audit.OutcomeFailed
	case res.IsError && rec.Status >= 400:
		return audit.OutcomeUpstreamError
	case res.IsError:
		return audit.OutcomeFailed
	}
	return audit.OutcomeOK
}
