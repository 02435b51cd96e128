package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
)

// signIn is the sign-in (OAuth resource server) part of the configuration.
type signIn struct {
	issuer, audience, userClaim, requiredScope, resourceURL string
}

// SignIn reports whether the server takes sign-in (--oauth-issuer): each
// caller sends an access token, whose user claim names their Composio user.
func (c *Config) SignIn() bool { return c.oauth.issuer != "" }

// ManyCallers reports whether the server serves many callers, each its own
// rate-limit bucket and owner of its results: --multi-tenant or sign-in.
func (c *Config) ManyCallers() bool { return c.MultiTenant || c.SignIn() }

// checkOAuth checks the --oauth-* flags together.
func (c *Config) checkOAuth() error {
	o := c.oauth
	if o.issuer == "" {
		for name, v := range map[string]string{"--oauth-audience": o.audience, "--oauth-required-scope": o.requiredScope, "--oauth-resource-url": o.resourceURL} {
			if v != "" {
				return fmt.Errorf("%s needs --oauth-issuer: it configures sign-in, which is off without an issuer", name)
			}
		}
		return nil
	}
	if err := oauth.CheckIssuer(o.issuer); err != nil {
		return fmt.Errorf("--oauth-issuer %q: %w", o.issuer, err)
	}
	switch {
	case o.audience == "":
		return errors.New("--oauth-issuer needs --oauth-audience: the audience (aud claim) the identity provider issues this server's access tokens for, such as https://mcp.example.com/mcp")
	case strings.TrimSpace(o.userClaim) == "":
		return errors.New("--oauth-user-claim is empty: want the claim naming the Composio user id, such as sub or email")
	case strings.ContainsAny(o.requiredScope, " \t\""):
		return fmt.Errorf("--oauth-required-scope %q: want one scope, such as mcp:tools", o.requiredScope)
	case c.Transport == "stdio":
		return errors.New("--oauth-issuer needs --transport http (or sse): sign-in is an HTTP mechanism; on stdio the one client is the person running the server")
	case c.MultiTenant:
		return errors.New("--oauth-issuer and --multi-tenant do not go together: with sign-in the server holds the project key and each person's token names their user; with --multi-tenant each caller brings its own key. Choose one")
	case c.AuthToken != "":
		return errors.New("--oauth-issuer and COMPOSIO_MCP_AUTH_TOKEN do not go together: there is one way to authenticate, and with sign-in it is each person's access token; unset COMPOSIO_MCP_AUTH_TOKEN")
	case c.SessionID != "" || c.UserID != "":
		return errors.New("--oauth-issuer: unset the session id and user id (--session-id, COMPOSIO_SESSION_ID, --user-id, COMPOSIO_USER_ID); each signed-in person gets a session of their own, for the user id their token's " + o.userClaim + " claim names")
	case c.UserAPIKey != "" && c.APIKey == "":
		return errors.New("--oauth-issuer needs COMPOSIO_API_KEY, the project key: a user key (COMPOSIO_USER_API_KEY) cannot create sessions for other users")
	}
	if o.resourceURL == "" && !loopback.Addr(c.Listen) {
		return fmt.Errorf("--listen %s is not a loopback address: set --oauth-resource-url to the public URL of the MCP endpoint, such as https://mcp.example.com/mcp (a request's Host header is the client's to choose, and is not trusted to name the resource)", c.Listen)
	}
	if o.resourceURL != "" {
		if err := oauth.CheckResourceURL(o.resourceURL); err != nil {
			return fmt.Errorf("--oauth-resource-url %q: %w", o.resourceURL, err)
		}
	}
	return nil
}

// endpointPath is the path of the MCP endpoint of the HTTP transport.
func (c *Config) endpointPath() string {
	if c.Transport == server.TransportSSE {
		return "/sse"
	}
	return "/mcp"
}

// HTTPOptions are the settings of the sse and http transports. With sign-in
// it discovers the issuer first: an issuer that cannot be discovered is an
// error naming --oauth-issuer.
func (c *Config) HTTPOptions(ctx context.Context, logger *slog.Logger) (server.HTTPOptions, error) {
	o := c.httpOptions(logger)
	if !c.SignIn() {
		return o, nil
	}
	rs, err := oauth.New(ctx, oauth.Config{
		Issuer: c.oauth.issuer, Audience: c.oauth.audience, UserClaim: c.oauth.userClaim,
		RequiredScope: c.oauth.requiredScope, ResourceURL: c.oauth.resourceURL,
		Listen: c.Listen, EndpointPath: c.endpointPath(), Logger: logger,
	})
	if err != nil {
		return server.HTTPOptions{}, err
	}
	o.Auth, o.ContextFunc, o.Routes = rs.Middleware, oauth.ContextFunc, rs.Routes()
	return o, nil
}
