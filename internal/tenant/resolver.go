// Package tenant serves many callers from one multi-tenant server: every MCP
// request carries its caller's own Composio credentials in HTTP headers, so
// the server holds none and replicas share no state. It turns those headers
// into the call's client and session (Resolver, a tools.Tenants), and into
// the names under which a caller is rate-limited (RateLimitKey), owns the
// results it keeps (ResultOwner), and has its credentials masked (Secrets).
//
// A caller is known by a hash of its credential and user id, never by the
// credential itself; a request without a credential is nobody.
package tenant

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// The headers through which an MCP client of a multi-tenant server gives its
// own Composio credentials. They are read per call, used for that call's
// requests to Composio only, and never logged.
const (
	headerAPIKey     = "X-Composio-Api-Key"
	headerUserAPIKey = "X-Composio-User-Api-Key"
	headerSessionID  = "X-Composio-Session-Id"
	headerUserID     = "X-Composio-User-Id"
)

// credentials are what a request's headers say about its caller, trimmed.
type credentials struct {
	key, userKey, sessionID, userID string
}

func credentialsOf(h http.Header) credentials {
	get := func(name string) string { return strings.TrimSpace(h.Get(name)) }
	return credentials{key: get(headerAPIKey), userKey: get(headerUserAPIKey), sessionID: get(headerSessionID), userID: get(headerUserID)}
}

// Resolver is the tools.Tenants of a multi-tenant server. Sessions created
// for a user id are cached per process (session.Pool), keyed by a hash of the
// credential and the user id, so that a caller cannot reach another's session
// by naming the same user id with a different key.
type Resolver struct {
	clientOpts []client.Option
	toolkits   []string
	pool       *session.Pool
	logger     *slog.Logger
}

// NewResolver returns a Resolver whose clients are built with clientOpts
// (the base URL, timeouts: no key, since each caller sends its own) and whose
// sessions enable toolkits (nil: Composio's default). logger receives the
// session managers' lines.
func NewResolver(clientOpts []client.Option, toolkits []string, logger *slog.Logger) *Resolver {
	return &Resolver{clientOpts: slices.Clip(clientOpts), toolkits: toolkits, pool: session.NewPool(0), logger: logger}
}

// errHeaders says what a multi-tenant client must send. It repeats no header
// value, so a credential cannot reach the model through it.
func errHeaders(problem string) error {
	return errors.New("This server is multi-tenant and holds no Composio credentials: " + problem +
		". The user must add the headers to this MCP server's entry in their client configuration: " +
		headerAPIKey + " (a Composio project API key; or " + headerUserAPIKey + " for a user key), and " +
		headerUserID + " (the server then creates and renews sessions) or " + headerSessionID + ". Retrying will not help until then.")
}

// Tenant implements tools.Tenants.
func (r *Resolver) Tenant(_ context.Context, h http.Header) (tools.Tenant, error) {
	c := credentialsOf(h)
	switch {
	case c.key == "" && c.userKey == "":
		return tools.Tenant{}, errHeaders("the request carried no " + headerAPIKey + " header")
	case c.key != "" && c.userKey != "":
		return tools.Tenant{}, errHeaders("the request carried both " + headerAPIKey + " and " + headerUserAPIKey + "; Composio accepts only one")
	case c.sessionID == "" && c.userID == "":
		return tools.Tenant{}, errHeaders("the request named neither a user (" + headerUserID + ") nor a session (" + headerSessionID + ")")
	}
	// Later options win, so these replace the server's (empty) keys.
	opts := append(r.clientOpts, client.WithAPIKey(c.key), client.WithUserAPIKey(c.userKey))
	cl, err := client.New(opts...)
	if err != nil {
		return tools.Tenant{}, err
	}
	if c.userID == "" {
		return tools.Tenant{Client: cl, Sessions: tools.FixedSession(c.sessionID)}, nil
	}
	m := r.pool.Get(key(c.key, c.userKey, c.userID), func() *session.Manager {
		return session.New(cl, session.Config{SessionID: c.sessionID, UserID: c.userID, Toolkits: r.toolkits, Logger: r.logger})
	})
	return tools.Tenant{Client: cl, Sessions: m}, nil
}
