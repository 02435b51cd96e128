package oauth

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
)

// metadataPath is the well-known path of Protected Resource Metadata (RFC
// 9728 §3); a resource with a path has its metadata at this path followed
// by the resource's own.
const metadataPath = "/.well-known/oauth-protected-resource"

// Middleware returns next behind the token check: a request without a valid
// access token is refused (401, or 403 without the required scope) before
// its body is read; a valid one goes on with the user in its context (User)
// and without its Authorization header, so that the token reaches nothing
// behind the check.
func (rs *ResourceServer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := server.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			rs.refuse(w, r, http.StatusUnauthorized, "", "", "Unauthorized: sign in and send Authorization: Bearer <access token>")
			return
		}
		id, err := rs.verify(r.Context(), raw)
		if err != nil {
			rs.log.Debug("refused an access token", "reason", err.Error())
			rs.refuse(w, r, http.StatusUnauthorized, "invalid_token", err.Error(), "Unauthorized: "+err.Error())
			return
		}
		if s := rs.cfg.RequiredScope; s != "" && !slices.Contains(id.scopes, s) {
			rs.log.Debug("refused an access token", "reason", "no required scope", "scope", s)
			rs.refuse(w, r, http.StatusForbidden, "insufficient_scope", "the token does not grant the scope "+quotable(s),
				"Forbidden: the access token does not grant the scope "+s)
			return
		}
		r2 := r.WithContext(WithUser(r.Context(), id.user))
		r2.Header = r.Header.Clone()
		r2.Header.Del("Authorization")
		next.ServeHTTP(w, r2)
	})
}

// refuse answers code with a Bearer challenge pointing to the metadata; code
// and description are the RFC 6750 error, "" on a request with no token. The
// connection is closed after the answer, the body unread.
func (rs *ResourceServer) refuse(w http.ResponseWriter, r *http.Request, code int, errCode, description, text string) {
	c := `Bearer resource_metadata="` + quotable(rs.metadataURL(r)) + `"`
	if errCode != "" {
		c += `, error="` + errCode + `", error_description="` + quotable(description) + `"`
	}
	if s := rs.cfg.RequiredScope; s != "" && (errCode == "" || errCode == "insufficient_scope") {
		c += `, scope="` + quotable(s) + `"`
	}
	w.Header().Set("WWW-Authenticate", c)
	server.Refuse(w, text, code)
}

// resourceURL is the public URL of the MCP endpoint: Config.ResourceURL, or
// the one the request reached when its Host is loopback, or the listen
// address's. A Host a stranger sends (DNS rebinding, a forged header) never
// names the resource a client is told to get a token for.
func (rs *ResourceServer) resourceURL(r *http.Request) string {
	if rs.cfg.ResourceURL != "" {
		return rs.cfg.ResourceURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = host
	}
	if !loopback.Host(name) {
		host = rs.cfg.Listen
	}
	return scheme + "://" + host + rs.cfg.EndpointPath
}

// metadataURL is where the resource's metadata is: the well-known path
// inserted between its host and its path (RFC 9728 §3.1).
func (rs *ResourceServer) metadataURL(r *http.Request) string {
	u, err := url.Parse(rs.resourceURL(r))
	if err != nil {
		return metadataPath
	}
	u.Path = metadataPath + strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}

// metadata is a Protected Resource Metadata document (RFC 9728 §2).
type metadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	BearerMethods        []string `json:"bearer_methods_supported"`
	Scopes               []string `json:"scopes_supported,omitempty"`
}

// Routes are the metadata endpoints, as ServeMux patterns: the well-known
// URL and its path form for the MCP endpoint (and for the path of
// Config.ResourceURL). They need no token.
func (rs *ResourceServer) Routes() map[string]http.Handler {
	h := http.HandlerFunc(rs.serveMetadata)
	routes := map[string]http.Handler{"GET " + metadataPath: h}
	paths := []string{rs.cfg.EndpointPath}
	// Behind a proxy that keeps its prefix, the metadata URL a challenge
	// gives has the public path.
	if u, err := url.Parse(rs.cfg.ResourceURL); err == nil && rs.cfg.ResourceURL != "" {
		paths = append(paths, u.Path)
	}
	for _, p := range paths {
		if p = strings.TrimSuffix(p, "/"); p != "" {
			routes["GET "+metadataPath+p] = h
		}
	}
	return routes
}

func (rs *ResourceServer) serveMetadata(w http.ResponseWriter, r *http.Request) {
	m := metadata{
		Resource:             rs.resourceURL(r),
		AuthorizationServers: []string{rs.cfg.Issuer},
		BearerMethods:        []string{"header"},
	}
	if rs.cfg.RequiredScope != "" {
		m.Scopes = []string{rs.cfg.RequiredScope}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(m)
}
