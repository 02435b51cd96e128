// Package tenant serves many callers from one server. On a multi-tenant
// server every MCP request carries its caller's own Composio credentials in
// HTTP headers, so the server holds none and replicas share no state; it
// turns those headers into the call's client and session (Resolver, a
// tools.Tenants). With sign-in the server holds the project key and each
// signed-in person gets a session of their own (SignedIn). It also gives the
// names under which a caller is rate-limited (RateLimitKey), owns the
// results it keeps (ResultOwner), and has its credentials masked (Secrets).
//
// A caller is known by a hash of its credential and user id (or of its
// signed-in user id), never by the credential itself; a request without a
// credential is nobody.
package tenant

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
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
	// Optional session options, in the slug=id,… form of --auth-configs and
	// --connected-accounts; when sent they replace the server's.
	headerAuthConfigs       = "X-Composio-Auth-Configs"
	headerConnectedAccounts = "X-Composio-Connected-Accounts"
)

// MaxOptionSets is how many distinct sets of session option headers
// (X-Composio-Auth-Configs, X-Composio-Connected-Accounts) one credential and
// user id may hold session managers for at once. Each set needs a session of
// its own, and the managers share one pool: without a cap, one key sending
// ever new header values would evict every other caller's manager, and their
// next call would create a new Composio session. A real client sends one set,
// or a few.
const MaxOptionSets = 8

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
	sessions   session.Config // the options of every session; no user, no id
	pool       *session.Pool
}

// NewResolver returns a Resolver whose clients are built with clientOpts
// (the base URL, timeouts: no key, since each caller sends its own) and whose
// sessions are made as sessions says (toolkits, auth configs, pinned
// accounts, its Logger receiving the managers' lines, its Shared cache of a
// fleet); its user and session ids and Owner are ignored, each caller names
// its own. A caller's
// X-Composio-Auth-Configs and X-Composio-Connected-Accounts headers replace
// the auth configs and pinned accounts.
func NewResolver(clientOpts []client.Option, sessions session.Config) *Resolver {
	sessions.UserID, sessions.SessionID = "", ""
	return &Resolver{clientOpts: slices.Clip(clientOpts), sessions: sessions, pool: session.NewPool(0)}
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
	cfg, optsKey, err := r.sessionConfig(h)
	if err != nil {
		return tools.Tenant{}, err
	}
	cfg.SessionID, cfg.UserID = c.sessionID, c.userID
	// With a shared cache, the caller's session is the fleet's: keyed by its
	// credential (hashed), its user id and its options.
	cfg.Owner = Credential(c.key, c.userKey)
	// The options are part of the key: the same user asking for other auth
	// configs or accounts needs another session. The caller is the group, so
	// that its option sets are counted against MaxOptionSets.
	caller := key(c.key, c.userKey, c.userID)
	m, ok := r.pool.GetLimited(caller+optsKey, caller, MaxOptionSets, func() *session.Manager {
		return session.New(cl, cfg)
	})
	if !ok {
		return tools.Tenant{}, errors.New("This credential and user id already have sessions for " + strconv.Itoa(MaxOptionSets) +
			" different sets of " + headerAuthConfigs + " and " + headerConnectedAccounts + " headers, the most this server keeps for one caller. " +
			"The user must send the same values on every call (set them once in this MCP server's entry in their client configuration); " +
			"retrying with yet other values will not help.")
	}
	return tools.Tenant{Client: cl, Sessions: m}, nil
}

// sessionConfig is the server's session options with the caller's optional
// headers applied, and a key naming the options they give ("" without them).
// The key is built from the parsed options, not the header text, so that
// spellings of the same options (spaces, slug case, order) share one session
// manager rather than each taking a place in the pool.
// A malformed header is refused with an error naming it and the form it
// takes; it repeats no header value.
func (r *Resolver) sessionConfig(h http.Header) (session.Config, string, error) {
	cfg := r.sessions
	var optsKey strings.Builder
	for _, hd := range []struct {
		name string
		dst  *map[string]string
	}{{headerAuthConfigs, &cfg.AuthConfigs}, {headerConnectedAccounts, &cfg.ConnectedAccounts}} {
		v := strings.TrimSpace(h.Get(hd.name))
		if v == "" {
			continue
		}
		m, err := session.ParseSlugIDs(v)
		if err != nil {
			return session.Config{}, "", errors.New("The " + hd.name + " header is malformed: " + err.Error() +
				". The user must fix it in this MCP server's entry in their client configuration; retrying will not help until then.")
		}
		*hd.dst = m
		optsKey.WriteString("\x00" + hd.name + "=" + canonical(m))
	}
	if optsKey.Len() == 0 {
		return cfg, "", nil
	}
	return cfg, key(optsKey.String(), "", ""), nil
}

// canonical is m as sorted slug=id pairs joined by commas: one text per set
// of options. ParseSlugIDs has already lowercased the slugs and trimmed both
// sides, and neither holds a comma.
func canonical(m map[string]string) string {
	pairs := make([]string, 0, len(m))
	for slug, id := range m {
		pairs = append(pairs, slug+"="+id)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}
