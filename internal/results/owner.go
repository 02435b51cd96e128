package results

import (
	"context"
	"net/http"

	"github.com/mark3labs/mcp-go/server"
)

// processOwner owns what requests without a lasting MCP session keep on a
// server with one Composio credential.
const processOwner = "process"

// SessionOwner is the Owner of a server with one Composio credential: a
// request's MCP session, when it has one that lasts (protocol revisions up to
// 2025-11-25); else, on 2026-07-28 and later, where over HTTP each request
// is a session of its own, the process. Every caller of such a server acts
// with the same credential (on stdio there is one client; over HTTP, those
// past the bearer token), so the process is the one principal, and the
// unguessable id the only secret between them.
func SessionOwner(ctx context.Context, _ http.Header) string {
	if !server.IsModernRequest(ctx) {
		if s := server.ClientSessionFromContext(ctx); s != nil && s.SessionID() != "" {
			return "session " + s.SessionID()
		}
	}
	return processOwner
}

// callHeaderKey carries a tool call's HTTP headers in its context.
type callHeaderKey struct{}

// WithCallHeader returns ctx carrying the HTTP headers of the tool call it
// belongs to, so that a result kept deep in the call (Store.Keep) can be
// given the owner that the headers name.
func WithCallHeader(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, callHeaderKey{}, h)
}

// CallHeader is the tool call's HTTP headers that ctx carries (see
// WithCallHeader); nil when it carries none, as on stdio.
func CallHeader(ctx context.Context) http.Header {
	h, _ := ctx.Value(callHeaderKey{}).(http.Header)
	return h
}
