package tools

import (
	"context"
	"errors"
	"net/http"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Sessions runs calls in a tool-router session. *session.Manager is one; it
// replaces an expired session and repeats the call once.
type Sessions interface {
	// Run calls fn with a session id, and may call it once more with a new id
	// when the first one turned out to have expired.
	Run(ctx context.Context, fn func(sessionID string) error) error
}

// callerOwner names the caller of a call (Config.CallerOwner); nil names
// the one caller of a server that has one.
type callerOwner func(context.Context, http.Header) string

// of is the caller of a call with headers h; "" when f is nil.
func (f callerOwner) of(ctx context.Context, h http.Header) string {
	if f == nil {
		return ""
	}
	return f(ctx, h)
}

// FixedSession is a Sessions that always uses one session id and never
// replaces it, for a server given only a session id.
type FixedSession string

// Run implements Sessions.
func (s FixedSession) Run(_ context.Context, fn func(sessionID string) error) error {
	return fn(string(s))
}

// API is the part of the Composio client that the tools use; *client.Client
// implements it.
type API interface {
	ProxyExecute(ctx context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error)
	ListToolkits(ctx context.Context, sessionID string, opts *client.ListToolkitsOptions) (*client.ToolkitPage, error)
	CreateLink(ctx context.Context, sessionID string, req *client.LinkRequest) (*client.Link, error)
}

// Tenant is the Composio client and session that one MCP client's calls use.
type Tenant struct {
	Client   API
	Sessions Sessions
}

// Tenants finds the tenant of a tool call. A server with one Composio key has
// one tenant (singleTenant); a multi-tenant server reads each caller's
// credentials from the HTTP headers of its request.
type Tenants interface {
	// Tenant returns the tenant for a call with these HTTP headers (empty on
	// stdio). Its error is shown to the model as it is, so it must say what
	// the client has to send and never repeat a credential.
	Tenant(ctx context.Context, header http.Header) (Tenant, error)
}

// singleTenant is Tenants for a server with one Composio key: every call gets
// the same client and session.
type singleTenant Tenant

// Tenant implements Tenants.
func (t singleTenant) Tenant(context.Context, http.Header) (Tenant, error) { return Tenant(t), nil }

// router finds where a call goes: the client that sends it and the session
// it runs in.
type router struct {
	tenants Tenants
	// connectTool names the tool that connects an account when the server
	// offers it; a NoActiveConnection error then tells the model to call it.
	connectTool string
}

// target returns the caller's client, wrapped to fill the call's audit
// record and to point a NoActiveConnection error at connectTool, and session.
func (r router) target(ctx context.Context, header http.Header) (executor, Sessions, error) {
	t, err := tenantFor(ctx, r.tenants, header)
	if err != nil {
		return nil, nil, err
	}
	return recordingExecutor{next: t.Client, rec: recordFrom(ctx), connectTool: r.connectTool}, t.Sessions, nil
}

// recordingExecutor fills the call's audit record and adds the connect_toolkit
// hint to a NoActiveConnection error; it wraps the client of one call.
type recordingExecutor struct {
	next        executor
	rec         *callRecord
	connectTool string
}

// ProxyExecute implements executor.
func (r recordingExecutor) ProxyExecute(ctx context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error) {
	resp, err := r.next.ProxyExecute(ctx, sessionID, req)
	r.rec.observeProxy(req, resp, err)
	if err != nil && r.connectTool != "" && errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection}) {
		err = &connectHint{err: err, tool: r.connectTool}
	}
	return resp, err
}

// connectHint marks a NoActiveConnection error on a server that offers a tool
// to connect the account, so the error result can name that tool.
type connectHint struct {
	err  error
	tool string
}

func (h *connectHint) Error() string { return h.err.Error() }
func (h *connectHint) Unwrap() error { return h.err }

// connectToolOf returns the connect tool named by a connectHint in err's
// chain, "" when there is none.
func connectToolOf(err error) string {
	var h *connectHint
	if errors.As(err, &h) {
		return h.tool
	}
	return ""
}
