package main

// This file wires today's tools API: the proxy tool and its features, the
// companion tools, the masker and the audit log. It is all of main's
// knowledge of the tools, kept in one place.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/tenant"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// toolSet is what the server serves of the tools: their handlers, the
// resource templates of kept results, and what the instructions add about
// them. close closes the audit log.
type toolSet struct {
	tools        []mcpserver.ServerTool
	templates    []mcpserver.ServerResourceTemplate
	instructions string
	close        func()
}

// wireTools makes the server's client (none on a multi-tenant server, which
// makes one per caller from clientOpts) and the tools the config names.
func wireTools(ctx context.Context, cfg *config.Config, clientOpts []client.Option, logger *slog.Logger) (*toolSet, error) {
	c, err := newClient(cfg, clientOpts)
	if err != nil {
		return nil, err
	}
	proxy := &tools.Proxy{Client: c, SessionID: cfg.SessionID, Logger: logger, Policy: cfg.Policy()}
	results := applyFeatures(cfg, proxy)
	list, closeTools, err := buildTools(ctx, cfg, c, clientOpts, proxy, logger)
	if err != nil {
		return nil, err
	}
	return &toolSet{tools: list, templates: results.Templates(), instructions: toolsInstructions(cfg), close: closeTools}, nil
}

// newClient returns the server's Composio client, or nil on a multi-tenant
// server, which holds no key and makes a client per caller instead.
func newClient(cfg *config.Config, opts []client.Option) (*client.Client, error) {
	if cfg.MultiTenant {
		return nil, nil
	}
	return client.New(opts...)
}

// buildTools wires the tools the config names: where each call's client and
// session come from, the companion tools, and the audit log around them all.
// For a server given a user id and no session id, it creates the session now,
// so that a bad key or user id fails at start rather than on the first call.
// The returned function closes the audit log.
func buildTools(ctx context.Context, cfg *config.Config, c *client.Client, clientOpts []client.Option, proxy *tools.Proxy, logger *slog.Logger) ([]mcpserver.ServerTool, func(), error) {
	var tenants tools.Tenants
	if cfg.MultiTenant {
		tenants = tenant.NewResolver(clientOpts, cfg.Toolkits, logger)
	} else {
		m := session.New(c, session.Config{SessionID: cfg.SessionID, UserID: cfg.UserID, Toolkits: cfg.Toolkits, Logger: logger})
		if _, err := m.Current(ctx); err != nil {
			return nil, nil, fmt.Errorf("creating a tool-router session for user %q: %w", cfg.UserID, err)
		}
		tenants = tools.SingleTenant{Client: c, Sessions: m}
	}
	connectTool := ""
	if cfg.Enabled(tools.ConnectToolkitName) {
		connectTool = tools.ConnectToolkitName
	}
	proxy.Tenants, proxy.ConnectTool = tenants, connectTool
	// One masker for every tool's results: the process's own secrets, and on
	// a multi-tenant server each caller's key, never reach a client.
	var callerSecrets func(http.Header) []string
	if cfg.MultiTenant {
		callerSecrets = tenant.Secrets
	}
	masker := tools.NewMasker(callerSecrets, cfg.Secrets()...)
	proxy.Masker = masker

	var list []mcpserver.ServerTool
	for _, name := range tools.Names {
		if !cfg.Enabled(name) {
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
	if cfg.AuditLog == "" {
		return list, func() {}, nil
	}
	log, err := audit.Open(cfg.AuditLog)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	for i := range list {
		list[i].Handler = audited(log, logger, list[i].Tool.Name, list[i].Handler)
	}
	logger.Info("writing the audit log", "file", cfg.AuditLog)
	return list, func() { _ = log.Close() }, nil
}

// toolsInstructions adds to the server's instructions what the companion
// tools are for, when they are served.
func toolsInstructions(cfg *config.Config) string {
	var b strings.Builder
	if cfg.Enabled(tools.ListToolkitsName) {
		b.WriteString(" Call list_toolkits to see which toolkits (APIs) this session has and which are connected.")
	}
	if cfg.Enabled(tools.ConnectToolkitName) {
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

// applyFeatures sets the feature options on the proxy tool and returns the
// store of cut responses (nil when responses are never cut), whose resource
// templates the server must serve.
func applyFeatures(c *config.Config, p *tools.Proxy) *results.Store {
	p.InlineImagesMax = c.InlineImagesMax
	p.UploadRoots = c.UploadRoots
	p.DryRun = c.DryRun
	p.ConfirmWrites = c.ConfirmWrites
	if c.MaxResultBytes == 0 {
		return nil
	}
	p.MaxResultBytes = c.MaxResultBytes
	p.Results = results.New(results.Config{MaxBytes: c.ResultStoreBytes, TTL: c.ResultTTL, Owner: tenant.ResultOwner(c.MultiTenant)})
	return p.Results
}
