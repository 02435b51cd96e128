// Package oauth makes the HTTP transports an OAuth 2.1 resource server, as
// the MCP authorization spec asks of HTTP servers: every MCP request carries
// an access token (a JWT) from one identity provider, which the server
// validates against the provider's keys (issuer, audience, expiry and
// signature), and whose user claim names the person the call is for.
//
// It serves the server's Protected Resource Metadata (RFC 9728), answers a
// missing or bad token with 401 and a WWW-Authenticate challenge that points
// to it, and a token without the required scope with 403. The person a valid
// token names reaches the tools through the request's context (User), never
// through a header a client could forge.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
)

// DefaultUserClaim is the claim that names the user when Config.UserClaim is
// empty.
const DefaultUserClaim = "sub"

// DefaultDiscoveryTimeout bounds OIDC discovery at start.
const DefaultDiscoveryTimeout = 10 * time.Second

// keyFetchTimeout bounds each fetch of the issuer's keys: a JWKS fetch runs
// within a request, which must not hang on a slow identity provider.
const keyFetchTimeout = 10 * time.Second

// Config says which tokens the resource server accepts.
type Config struct {
	// Issuer is the identity provider's issuer URL: https, or http on a
	// loopback address. Its OIDC discovery document gives the keys' URL.
	Issuer string
	// Audience must be one of a token's audiences (its aud claim).
	Audience string
	// UserClaim is the claim naming the user; DefaultUserClaim when empty.
	UserClaim string
	// RequiredScope, when set, must be one of a token's scopes (its
	// space-separated scope claim, or its scp array).
	RequiredScope string
	// ResourceURL is the public URL of the MCP endpoint, for a server behind
	// a proxy; when empty it is derived from each request's Host when that is
	// a loopback host, else from Listen: a Host a client sends is never
	// reflected to another.
	ResourceURL string
	// Listen is the server's listen address (host:port), the host of the
	// resource URL when ResourceURL is empty and a request's Host is not
	// loopback.
	Listen string
	// EndpointPath is the MCP endpoint's path on this server, such as /mcp;
	// its metadata is served at the path form of the well-known URL too.
	EndpointPath string
	// HTTPClient fetches the discovery document and the keys; nil means
	// http.DefaultClient with a timeout.
	HTTPClient *http.Client
	// DiscoveryTimeout bounds discovery; 0 means DefaultDiscoveryTimeout.
	DiscoveryTimeout time.Duration
	// Logger receives refused tokens' reasons (never the tokens); nil
	// discards.
	Logger *slog.Logger
}

// ResourceServer checks the access tokens of HTTP requests. Build it with
// New; it is safe for concurrent use.
type ResourceServer struct {
	cfg      Config
	verifier *oidc.IDTokenVerifier
	log      *slog.Logger
}

// signingAlgs are the algorithms a token may be signed with: the asymmetric
// ones only, so that no shared secret can sign a token.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA,
}

// CheckIssuer reports what is wrong with an issuer URL, or nil: it must be an
// absolute https URL, or http on a loopback address, without query or
// fragment.
func CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return errors.New("want an absolute https URL, such as https://idp.example.com")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("an issuer URL has no query or fragment")
	case u.Scheme == "http" && !loopback.Host(u.Hostname()):
		return errors.New("want https: plain http is allowed on a loopback address only (a local identity provider)")
	}
	return nil
}

// CheckResourceURL reports what is wrong with a resource URL, or nil: the
// same rules as CheckIssuer.
func CheckResourceURL(resource string) error {
	if err := CheckIssuer(resource); err != nil {
		return errors.New(strings.Replace(err.Error(), "idp.example.com", "mcp.example.com/mcp", 1))
	}
	return nil
}

// New discovers the issuer (within cfg.DiscoveryTimeout) and returns a
// resource server for its tokens. Its errors name --oauth-issuer: an issuer
// that cannot be discovered is a start-up error.
func New(ctx context.Context, cfg Config) (*ResourceServer, error) {
	if err := CheckIssuer(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("--oauth-issuer %q: %w", cfg.Issuer, err)
	}
	if cfg.Audience == "" {
		return nil, errors.New("--oauth-issuer needs --oauth-audience: the audience (aud) this server's access tokens are issued for")
	}
	if cfg.UserClaim == "" {
		cfg.UserClaim = DefaultUserClaim
	}
	if cfg.DiscoveryTimeout <= 0 {
		cfg.DiscoveryTimeout = DefaultDiscoveryTimeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: keyFetchTimeout}
	}
	hctx := oidc.ClientContext(context.WithoutCancel(ctx), hc)
	dctx, cancel := context.WithTimeout(hctx, cfg.DiscoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("--oauth-issuer %s: OIDC discovery (%s/.well-known/openid-configuration) failed: %w",
			cfg.Issuer, strings.TrimSuffix(cfg.Issuer, "/"), err)
	}
	var doc struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil || doc.JWKSURL == "" {
		return nil, fmt.Errorf("--oauth-issuer %s: its discovery document names no jwks_uri", cfg.Issuer)
	}
	// The keys come from the discovery document: the same https-or-loopback
	// rule as the issuer's, or a network attacker could serve them.
	if err := CheckIssuer(doc.JWKSURL); err != nil {
		return nil, fmt.Errorf("--oauth-issuer %s: its discovery document's jwks_uri %q: %w", cfg.Issuer, doc.JWKSURL, err)
	}
	fctx, cancel2 := context.WithTimeout(ctx, cfg.DiscoveryTimeout)
	defer cancel2()
	remote, err := newKeySet(fctx, doc.JWKSURL, hc, refetchInterval)
	if err != nil {
		return nil, fmt.Errorf("--oauth-issuer %s: its keys (%s): %w", cfg.Issuer, doc.JWKSURL, err)
	}
	// The key set is wrapped so that a failed signature check can be told
	// from the claim checks that follow it (see keys).
	ks := &keys{remote: remote}
	v := oidc.NewVerifier(cfg.Issuer, ks, &oidc.Config{ClientID: cfg.Audience, SupportedSigningAlgs: signingAlgs})
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ResourceServer{cfg: cfg, verifier: v, log: log}, nil
}

// userKey is the context key of the signed-in user.
type userKey struct{}

// WithUser returns ctx carrying the signed-in user id; the middleware sets
// it once a token is valid.
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// User is the signed-in user id ctx carries, or "" when the request was not
// signed in.
func User(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// ContextFunc carries the signed-in user from an HTTP request to the context
// an MCP transport builds for it (mcp-go's HTTPContextFunc, SSEContextFunc).
func ContextFunc(ctx context.Context, r *http.Request) context.Context {
	if u := User(r.Context()); u != "" {
		return WithUser(ctx, u)
	}
	return ctx
}
