package server

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
)

// DefaultMaxRequestBytes is the default cap on an HTTP request body.
const DefaultMaxRequestBytes = 8 << 20

// Guard is the HTTP middleware policy in front of the MCP endpoints: what a
// browser page, a stranger on the network, or a runaway client cannot do.
type Guard struct {
	// AllowedOrigins are browser origins ("https://app.example.com") allowed to
	// call the server, beyond the loopback ones.
	AllowedOrigins []string
	// AllowLoopbackOrigins lets pages on localhost call the server; it suits a
	// server that itself listens on loopback.
	AllowLoopbackOrigins bool
	// Token, when set, must arrive as "Authorization: Bearer <Token>".
	Token string
	// MaxRequestBytes caps request bodies; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
}

// wrap returns next behind the guard's checks, in this order: Origin (403),
// bearer token (401), body size (413). It also drops the wildcard
// Access-Control-Allow-Origin that mcp-go's SSE transport sets. The HTTP
// handler uses the three checks apart, to put the caller's own checks
// (Auth) and the in-flight cap between them.
func (g Guard) wrap(next http.Handler) http.Handler {
	return g.origin(g.token(g.size(next)))
}

// A refused request's body is never read, and its connection is closed,
// rather than drained, after the answer: a stranger gets no work out of the
// server beyond reading the headers.

// origin refuses (403) a request whose Origin is not allowed, and drops the
// wildcard Access-Control-Allow-Origin of the answers to the others.
func (g Guard) origin(next http.Handler) http.Handler {
	allowed := g.allowedOrigins()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !g.originAllowed(origin, allowed) {
			Refuse(w, fmt.Sprintf("Forbidden: origin %q is not allowed", origin), http.StatusForbidden)
			return
		}
		next.ServeHTTP(noWildcardCORS{w}, r)
	})
}

func (g Guard) allowedOrigins() map[string]bool {
	allowed := make(map[string]bool, len(g.AllowedOrigins))
	for _, o := range g.AllowedOrigins {
		allowed[normalOrigin(o)] = true
	}
	return allowed
}

func normalOrigin(o string) string { return strings.ToLower(strings.TrimRight(o, "/")) }

// token refuses (401) a request without the bearer token, when one is set.
func (g Guard) token(next http.Handler) http.Handler {
	token := []byte(g.Token)
	if len(token) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerMatches(r.Header.Get("Authorization"), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="composio-proxy-mcp"`)
			Refuse(w, "Unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// size refuses (413) a body over the cap, and reads the others whole.
func (g Guard) size(next http.Handler) http.Handler {
	limit := g.MaxRequestBytes
	if limit <= 0 {
		limit = DefaultMaxRequestBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > limit {
				Refuse(w, fmt.Sprintf("Request body over %d bytes", limit), http.StatusRequestEntityTooLarge)
				return
			}
			// The whole body is read here, under the read deadline the
			// listener's limits set, so that a slow or oversized body gets a
			// clear 408 or 413 rather than whatever the transport makes of a
			// cut one.
			b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			switch {
			case isTimeout(err):
				Refuse(w, "Request Timeout: the request body was not sent in time", http.StatusRequestTimeout)
				return
			case err != nil:
				Refuse(w, "Reading request body: "+err.Error(), http.StatusBadRequest)
				return
			case int64(len(b)) > limit:
				Refuse(w, fmt.Sprintf("Request body over %d bytes", limit), http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		next.ServeHTTP(w, r)
	})
}

// refuseGrace is how long net/http may spend, after a refusal, reading the
// part of a small body the client has already sent, so that the client reads
// the answer rather than a reset.
const refuseGrace = time.Second

// Refuse answers with code and closes the connection after the answer: the
// one way a request is refused, here and by an Auth middleware. The handler
// never reads the body; net/http would read up to 256 KiB of it, at the
// sender's pace, to keep the connection, and is given refuseGrace for it.
func Refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(refuseGrace))

}

func (g Guard) originAllowed(origin string, allowed map[string]bool) bool {
	if allowed[normalOrigin(origin)] {
		return true
	}
	if !g.AllowLoopbackOrigins {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return loopback.Origin(u.Hostname())
}

func bearerMatches(header string, token []byte) bool {
	got, ok := BearerToken(header)
	return ok && subtle.ConstantTimeCompare([]byte(got), token) == 1
}

// BearerToken is the token of an Authorization header "Bearer <token>" (RFC
// 6750 §2.1, the scheme in any case); false when the header holds none.
func BearerToken(h string) (string, bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// noWildcardCORS removes "Access-Control-Allow-Origin: *" before the response
// is sent: a wildcard would let any web page read the server's answers.
type noWildcardCORS struct{ http.ResponseWriter }

func (w noWildcardCORS) strip() {
	h := w.ResponseWriter.Header()
	if h.Get("Access-Control-Allow-Origin") == "*" {
		h.Del("Access-Control-Allow-Origin")
	}
}

func (w noWildcardCORS) WriteHeader(code int) {
	w.strip()
	w.ResponseWriter.WriteHeader(code)
}

func (w noWildcardCORS) Write(b []byte) (int, error) {
	w.strip()
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming working: mcp-go's SSE and streamable transports need
// an http.Flusher.
func (w noWildcardCORS) Flush() {
	w.strip()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w noWildcardCORS) Unwrap() http.ResponseWriter { return w.ResponseWriter }
