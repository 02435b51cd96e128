package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

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

// tenantResolver is tools.Tenants for --multi-tenant: every call carries its
// caller's credentials, so the server needs none of its own and replicas need
// no shared state. Sessions created for a user id are cached per process
// (session.Pool), keyed by a hash of the credential and the user id, so that
// a caller cannot reach another's session by naming the same user id with a
// different key.
type tenantResolver struct {
	clientOpts []client.Option
	toolkits   []string
	pool       *session.Pool
	logger     *slog.Logger
}

func newTenantResolver(clientOpts []client.Option, toolkits []string, logger *slog.Logger) *tenantResolver {
	return &tenantResolver{clientOpts: slices.Clip(clientOpts), toolkits: toolkits, pool: session.NewPool(0), logger: logger}
}

// errTenantHeaders says what a multi-tenant client must send. It repeats no
// header value, so a credential cannot reach the model through it.
func errTenantHeaders(problem string) error {
	return errors.New("This server is multi-tenant and holds no Composio credentials: " + problem +
		". The user must add the headers to this MCP server's entry in their client configuration: " +
		headerAPIKey + " (a Composio project API key; or " + headerUserAPIKey + " for a user key), and " +
		headerUserID + " (the server then creates and renews sessions) or " + headerSessionID + ". Retrying will not help until then.")
}

// Tenant implements tools.Tenants.
func (r *tenantResolver) Tenant(_ context.Context, h http.Header) (tools.Tenant, error) {
	key := strings.TrimSpace(h.Get(headerAPIKey))
	userKey := strings.TrimSpace(h.Get(headerUserAPIKey))
	sessionID := strings.TrimSpace(h.Get(headerSessionID))
	userID := strings.TrimSpace(h.Get(headerUserID))
	switch {
	case key == "" && userKey == "":
		return tools.Tenant{}, errTenantHeaders("the request carried no " + headerAPIKey + " header")
	case key != "" && userKey != "":
		return tools.Tenant{}, errTenantHeaders("the request carried both " + headerAPIKey + " and " + headerUserAPIKey + "; Composio accepts only one")
	case sessionID == "" && userID == "":
		return tools.Tenant{}, errTenantHeaders("the request named neither a user (" + headerUserID + ") nor a session (" + headerSessionID + ")")
	}
	// Later options win, so these replace the server's (empty) keys.
	opts := append(r.clientOpts, client.WithAPIKey(key), client.WithUserAPIKey(userKey))
	c, err := client.New(opts...)
	if err != nil {
		return tools.Tenant{}, err
	}
	if userID == "" {
		return tools.Tenant{Client: c, Sessions: tools.FixedSession(sessionID)}, nil
	}
	m := r.pool.Get(tenantKey(key, userKey, userID), func() *session.Manager {
		return session.New(c, session.Config{SessionID: sessionID, UserID: userID, Toolkits: r.toolkits, Logger: r.logger})
	})
	return tools.Tenant{Client: c, Sessions: m}, nil
}

// tenantKey identifies a caller's sessions without holding its key in the
// clear.
func tenantKey(key, userKey, userID string) string {
	sum := sha256.Sum256([]byte(key + "\x00" + userKey + "\x00" + userID))
	return hex.EncodeToString(sum[:])
}

// callerIdentity names the caller of a multi-tenant request: a hash of the
// credential it sends and of the user id it names, never the credential
// itself. Sessions and kept results belong to it. It is "" when the request
// carries no credential: such a caller is nobody, and owns nothing.
//
// The session id is not part of it: it is a value the caller picks per call
// (any string reaches Composio, which then refuses a made-up one), so keying
// on it would give a caller a fresh rate-limit bucket per call. The user id
// is: sessions and results are per user, so a result kept for one user id is
// not served to another user of the same key. (The rate limit is keyed on the
// credential alone: see rateLimitKey.)
func callerIdentity(h http.Header) string {
	key := strings.TrimSpace(h.Get(headerAPIKey))
	userKey := strings.TrimSpace(h.Get(headerUserAPIKey))
	if key == "" && userKey == "" {
		return ""
	}
	return tenantKey(key, userKey, strings.TrimSpace(h.Get(headerUserID)))
}

// rateLimitKey is the rate-limit bucket of a call: the MCP session normally,
// but on a multi-tenant server, whose stateless transport makes every request
// a new session, the caller's credential alone. The user id and session id
// headers are values a caller may change on every request, so neither is part
// of the key: one key is one allowance, however many users it names. Callers
// without credentials share one bucket; their calls are refused anyway.
func rateLimitKey(multiTenant bool) func(context.Context, mcp.CallToolRequest) string {
	if !multiTenant {
		return nil
	}
	return func(_ context.Context, req mcp.CallToolRequest) string {
		h := req.Header
		return tenantKey(strings.TrimSpace(h.Get(headerAPIKey)), strings.TrimSpace(h.Get(headerUserAPIKey)), "")
	}
}

// resultOwner is who owns the results a request keeps, and may read them: on
// a multi-tenant server the caller (callerIdentity); elsewhere nil, which
// leaves it to the store (the MCP session, or the process).
func resultOwner(multiTenant bool) func(context.Context, http.Header) string {
	if !multiTenant {
		return nil
	}
	return func(_ context.Context, h http.Header) string { return callerIdentity(h) }
}
