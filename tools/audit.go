package tools

import (
	"context"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
)

// CallObserver is told of each finished tool call: the tool, the toolkit
// slug the call named ("" for none; what the model gave, so a metric must
// bound it) and the call's outcome, one of the audit.Outcome constants. It
// runs on the call's goroutine and must return quickly.
type CallObserver func(tool, toolkit, outcome string)

// audited wraps a tool handler so that every call writes one audit entry
// (with log) and is told to observe (when set), from the record the tool
// fills as it runs: its argument decoder describes the call as it was asked
// for, and each attempt overwrites that with what was sent, so the
// middleware needs to know nothing of any tool's arguments.
func audited(log *audit.Log, observe CallObserver, logger *slog.Logger, now func() time.Time, tool string, next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ctx, rec := withCallRecord(ctx)
		start := now()
		res, err := next(ctx, req)
		if observe != nil {
			observe(tool, rec.Toolkit, outcome(rec, res, err))
		}
		if log == nil {
			return res, err
		}
		e := audit.Entry{
			Time: start, Tool: tool, RequestID: rec.RequestID,
			Toolkit: rec.Toolkit, Method: rec.Method, Endpoint: rec.Endpoint,
			Status: rec.Status, Error: rec.Slug, Attempts: rec.Attempts,
			Duration: now().Sub(start), Bytes: rec.Bytes,
			Outcome: outcome(rec, res, err),
		}
		if werr := log.Write(e); werr != nil {
			logger.Error("audit log", "err", werr)
		}
		return res, err
	}
}

// outcome classifies a finished call for the audit log.
func outcome(rec *callRecord, res *mcp.CallToolResult, err error) string {
	switch {
	case err != nil || res == nil:
		return audit.OutcomeInternalError
	case rec.Attempts == 0:
		if res.IsError {
			return audit.OutcomeRejected
		}
		return audit.OutcomeOK
	case rec.Failure == failureComposio:
		return audit.OutcomeComposioError
	case rec.Failure == failureNoAnswer:
		return audit.OutcomeFailed
	case res.IsError && rec.Status >= 400:
		return audit.OutcomeUpstreamError
	case res.IsError:
		return audit.OutcomeFailed
	}
	return audit.OutcomeOK
}
