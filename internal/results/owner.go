package results

import (
	"context"
	"net/http"
)

// processOwner owns what is kept on a server with one Composio credential.
const processOwner = "process"

// ProcessOwner is the Owner of a server with one Composio credential: the
// process, whatever the MCP session. Every caller of such a server acts with
// the same credential, as the one user whose key the server holds (on stdio
// there is one client; over HTTP, those past the bearer token), so that user
// is the one principal, and the unguessable id the only secret between
// callers. Results outlive the session that made them: a client that opens
// a new MCP session for each call (MCP Inspector, claude.ai, the stateless
// 2026-07-28 revision) finds them again.
func ProcessOwner(context.Context, http.Header) string { return processOwner }

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
