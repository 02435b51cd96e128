package tenant

import (
	"context"
	"errors"
	"net/http"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// SignedIn is the tools.Tenants of a server with sign-in (OAuth): the server
// holds the project key, and each signed-in person gets a tool-router
// session of their own, for the user id their access token names. The user
// comes from the request's context, set by the token check (oauth.User),
// never from a header.
type SignedIn struct {
	client   *client.Client
	err      error // building the client failed: every call says so
	sessions session.Config
	pool     *session.Pool
}

// NewSignedIn returns a SignedIn whose calls go through one client built
// with clientOpts (the server's, with the project key) and whose sessions
// are made as sessions says (toolkits, auth configs, pinned accounts, its
// Logger); its user and session ids are ignored, each person's token names
// their own. Should the client not build (a bad base URL), every call
// returns that error, as a Resolver's do.
func NewSignedIn(clientOpts []client.Option, sessions session.Config) *SignedIn {
	sessions.UserID, sessions.SessionID = "", ""
	c, err := client.New(clientOpts...)
	return &SignedIn{client: c, err: err, sessions: sessions, pool: session.NewPool(0)}
}

// Tenant implements tools.Tenants.
func (s *SignedIn) Tenant(ctx context.Context, _ http.Header) (tools.Tenant, error) {
	user := oauth.User(ctx)
	switch {
	case s.err != nil:
		return tools.Tenant{}, s.err
	case user == "":
		// The token check refuses such requests before they get here.
		return tools.Tenant{}, errors.New("This server needs sign-in, and the request carried no signed-in user: the MCP client must send an access token (Authorization: Bearer …). Retrying will not help until then.")
	}
	m := s.pool.Get(signedInKey(user), func() *session.Manager {
		cfg := s.sessions
		cfg.UserID = user
		return session.New(s.client, cfg)
	})
	return tools.Tenant{Client: s.client, Sessions: m}, nil
}

// signedInKey names a signed-in user without their id in the clear. The
// leading NUL keeps it apart from any multi-tenant caller's key.
func signedInKey(user string) string { return key("\x00signed-in", "", user) }
