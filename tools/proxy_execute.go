package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// ProxyExecuteName is the name under which the proxy tool is registered.
const ProxyExecuteName = "proxy_execute"

// executor forwards one proxy_execute call to Composio; *client.Client is one.
type executor interface {
	ProxyExecute(ctx context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error)
}

// proxyTool serves the proxy_execute tool: a call goes through its
// arguments, the policy, the confirmation, then either the dry run or the
// request itself, and the shaping of the answer into a tool result. Each
// step holds what it needs, and knows nothing of the others.
type proxyTool struct {
	def     mcp.Tool
	args    argDecoder
	policy  Policy
	route   router
	confirm confirmer
	replay  replayer
	dryRun  *dryRunner // nil unless every call is a dry run
	send    sender
	repair  *repairer
	shape   shaper
	masker  *masker
	log     *slog.Logger
}

func newProxyTool(e *env) *proxyTool {
	cfg := &e.cfg
	keep := keeper{limit: cfg.MaxResultBytes, store: cfg.Results}
	t := &proxyTool{
		def:     proxyDefinition(cfg),
		args:    argDecoder{uploadRoots: cfg.UploadRoots},
		policy:  cfg.Policy,
		route:   router{tenants: e.tenants, connectTool: e.connectTool},
		confirm: confirmer{enabled: cfg.ConfirmWrites, key: cfg.ConfirmKey, caller: cfg.CallerOwner, now: e.now, log: e.log},
		replay:  replayer{store: cfg.Replays, caller: cfg.CallerOwner, log: e.log},
		send:    sender{log: e.log},
		shape: shaper{keep: keep, now: e.now, jq: e.jq,
			inline: newInliner(cfg.InlineImagesMax, cfg.DownloadClient, cfg.DownloadTimeout, keep, e.masker, e.log)},
		masker: e.masker,
		log:    e.log,
	}
	if t.replay.store == nil {
		t.replay.store = newMemoryReplays(e.now)
	}
	t.shape.inline.save = newSaver(cfg.DownloadDir, cfg.DownloadMaxBytes, cfg.DownloadClient, cfg.DownloadTimeout, e.log)
	if t.shape.inline.save != nil && cfg.downloadBudget > 0 {
		t.shape.inline.save.left = cfg.downloadBudget
		t.shape.inline.save.budget = cfg.downloadBudget
	}
	if cfg.ConnectWait > 0 {
		t.repair = newRepairer(e)
	}
	if cfg.DryRun {
		t.dryRun = &dryRunner{keep: keep, log: e.log}
	}
	return t
}

// Tool returns the proxy_execute tool definition.
func (t *proxyTool) Tool() mcp.Tool { return t.def }

// Handle is the tool handler for proxy_execute.
func (t *proxyTool) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	ctx = results.WithCallHeader(ctx, req.Header) // the results it keeps belong to its caller
	raw := []byte(req.Params.RawArguments)
	if len(raw) == 0 && req.Params.Arguments != nil {
		// In-process clients hand over decoded arguments.
		b, err := json.Marshal(req.Params.Arguments)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments: %w", err)
		}
		raw = b
	}
	call, err := t.args.decode(raw, recordFrom(ctx))
	if err == nil {
		err = t.policy.check(call.req)
	}
	if err != nil {
		t.log.InfoContext(ctx, "proxy_execute rejected", "reason", err.Error())
		return errorResult(err.Error()), nil
	}
	ex, sessions, err := t.route.target(ctx, req.Header)
	if errors.Is(err, errNoTenants) {
		return nil, err
	}
	if err != nil {
		t.log.InfoContext(ctx, "proxy_execute rejected", "reason", "no Composio credentials for the caller")
		return errorResult(err.Error()), nil
	}
	if t.dryRun != nil {
		return t.dryRun.run(ctx, ex, sessions, call.req), nil
	}
	res, byState := t.confirm.check(ctx, req, call)
	switch {
	case res != nil:
		return res, nil
	case byState:
		return t.replay.once(ctx, req, func() (*mcp.CallToolResult, bool, error) {
			ctx, w := withSendWatch(ctx)
			res, err := t.execute(ctx, req, call, ex, sessions)
			return res, w.maybeSent.Load(), err
		})
	}
	return t.execute(ctx, req, call, ex, sessions)
}

// execute sends a call that may go ahead, mends it when it can, and shapes
// its answer.
func (t *proxyTool) execute(ctx context.Context, req mcp.CallToolRequest, call proxyCall, ex executor, sessions Sessions) (*mcp.CallToolResult, error) {
	ctx = withProgressSeq(ctx) // a repaired call reports from each stage
	start := time.Now()
	resp, err := t.send.run(ctx, req, ex, sessions, call.req)
	if t.repair != nil {
		resp, err = t.mend(ctx, req, call.req, ex, sessions, start, resp, err)
	}
	if err != nil {
		return errorResult(failureText(failedOp{call: call.req}, err)), nil
	}
	return t.pages(ctx, req, call, ex, sessions, resp)
}

// mend hands the first attempt's outcome to the repairer, with the caller's
// client for links and statuses, resolved again only here since few calls
// need it.
func (t *proxyTool) mend(ctx context.Context, req mcp.CallToolRequest, call *client.ProxyRequest, ex executor, sessions Sessions, start time.Time, resp *client.ProxyResponse, err error) (*client.ProxyResponse, error) {
	tenant, terr := tenantFor(ctx, t.route.tenants, req.Header)
	if terr != nil {
		return resp, err
	}
	return t.repair.run(ctx, repairCall{
		req: req, call: call, api: tenant.Client, sessions: sessions, start: start,
		again: func(ctx context.Context) (*client.ProxyResponse, error) {
			return t.send.run(ctx, req, ex, sessions, call)
		},
	}, resp, err)
}

// sender sends a call in its session, with progress notifications to a
// client that asked for them, and logs it.
type sender struct {
	log *slog.Logger
}

func (s sender) run(ctx context.Context, req mcp.CallToolRequest, ex executor, sessions Sessions, call *client.ProxyRequest) (*client.ProxyResponse, error) {
	ctx, prog := startProgress(ctx, req, call)
	start := time.Now()
	var resp *client.ProxyResponse
	err := sessions.Run(ctx, func(sessionID string) (err error) {
		resp, err = ex.ProxyExecute(ctx, sessionID, call)
		noteSent(ctx, err)
		return err
	})
	elapsed := time.Since(start)
	prog.done(doneMessage(resp, err))
	attrs := []any{
		"toolkit", call.ToolkitSlug,
		"method", call.Method,
		"endpoint", logEndpoint(call.Endpoint),
		"duration", elapsed.Round(time.Microsecond),
	}
	if err != nil {
		s.log.InfoContext(ctx, "proxy_execute failed", append(attrs, errorAttrs(err)...)...)
		return nil, err
	}
	s.log.InfoContext(ctx, "proxy_execute", append(attrs, "status", resp.Status, "request_id", resp.RequestID)...)
	return resp, nil
}

// logEndpoint keeps an endpoint's host and path for logs and drops its query,
// whose values can be personal data or tokens.
func logEndpoint(endpoint string) string { return redact.Endpoint(endpoint) }
