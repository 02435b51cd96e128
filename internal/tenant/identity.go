package tenant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// key identifies a caller without holding its credential in the clear.
func key(apiKey, userKey, userID string) string {
	sum := sha256.Sum256([]byte(apiKey + "\x00" + userKey + "\x00" + userID))
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
// credential alone: see RateLimitKey.)
func callerIdentity(h http.Header) string {
	c := credentialsOf(h)
	if c.key == "" && c.userKey == "" {
		return ""
	}
	return key(c.key, c.userKey, c.userID)
}

// Credential names a Composio credential (a project key, or a user key) as a
// caller, hashed: the rate-limit key of its calls, and the owner of the
// sessions a fleet shares for it. The server's own credential is one.
func Credential(apiKey, userAPIKey string) string { return key(apiKey, userAPIKey, "") }

// RateLimitKey is the rate-limit bucket of a call.
//
// On a server with many callers (perCaller: multi-tenant, or sign-in), whose
// stateless transport makes every request a new session, a signed-in call's
// bucket is its user (hashed), and a multi-tenant call's is the caller's
// credential alone (Credential). The user id
// and session id headers are values a caller may change on every request, so
// neither is part of the key: one key is one allowance, however many users
// it names. Callers without credentials share one bucket; their calls are
// refused anyway.
//
// Otherwise the server acts for its one user, and the key is server, the
// Credential of its own key, for every call: set when the limit is shared by
// a fleet (--store), where an MCP session lives on one replica and cannot
// name a caller. With server "" it is nil, which leaves the bucket to the
// server (the MCP session).
func RateLimitKey(perCaller bool, server string) func(context.Context, mcp.CallToolRequest) string {
	if !perCaller {
		if server == "" {
			return nil
		}
		return func(context.Context, mcp.CallToolRequest) string { return server }
	}
	return func(ctx context.Context, req mcp.CallToolRequest) string { return principal(ctx, req.Header) }
}

// principal is who a request acts as, for a rate-limit bucket or an SSE
// session's owner: the signed-in user, or else the credential alone.
func principal(ctx context.Context, h http.Header) string {
	if u := oauth.User(ctx); u != "" {
		return signedInKey(u)
	}
	c := credentialsOf(h)
	return key(c.key, c.userKey, "")
}

// ResultOwner is who owns the results a request keeps, and may read them:
// the caller, never the MCP session, so that a client that opens a new
// session finds its results again. On a server with many callers
// (perCaller) that is the signed-in user (hashed), or the multi-tenant
// caller's identity (its credential and user id); otherwise the process
// (results.ProcessOwner), acting for the one user whose key the server
// holds: on stdio its one client, over HTTP any caller past the guard.
func ResultOwner(perCaller bool) func(context.Context, http.Header) string {
	if !perCaller {
		return results.ProcessOwner
	}
	return func(ctx context.Context, h http.Header) string {
		if u := oauth.User(ctx); u != "" {
			return signedInKey(u)
		}
		return callerIdentity(h)
	}
}

// StoredOwner is the ResultOwner of a server with one user whose results
// live in a store (--store) that other deployments may share: the server's
// own credential (Credential) and user id, hashed, so that two servers of
// other keys or users on one Redis neither read each other's results by id
// nor spend one quota. Replicas of one deployment, with the same key and
// user, share it. (Without a store the process is the owner, ProcessOwner.)
func StoredOwner(credential, userID string) func(context.Context, http.Header) string {
	sum := sha256.Sum256([]byte("process\x00" + credential + "\x00" + userID))
	owner := hex.EncodeToString(sum[:])
	return func(context.Context, http.Header) string { return owner }
}

// Secrets are the credentials a multi-tenant caller sent, to be masked in its
// results.
func Secrets(h http.Header) []string {
	c := credentialsOf(h)
	return []string{c.key, c.userKey}
}

// CallerID names the caller of an HTTP request on a server with many
// callers (perCaller), for binding an SSE session to the caller that opened
// it: the signed-in user (hashed), or the multi-tenant credential (hashed,
// as the rate limit's key), never the credential itself. Without perCaller
// it is nil: the server has one user, and its sessions are theirs.
func CallerID(perCaller bool) func(*http.Request) string {
	if !perCaller {
		return nil
	}
	return func(r *http.Request) string { return principal(r.Context(), r.Header) }
}
