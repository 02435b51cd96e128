package server

import (
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/server"
)

// exposedHeaders are the response headers a page of an allowed origin may
// read: the session id, and the challenge of a refusal, from which a
// browser-based client finds where to sign in.
var exposedHeaders = []string{server.HeaderKeySessionID, "WWW-Authenticate"}

// cors answers the browser pages of the origins in --allowed-origins (the
// Origin check has refused the others before): what mcp-go's CORS does
// for the MCP endpoints, for the answers that do not reach it (a refused
// token, a busy server) and for the routes beside them.
type cors struct{ allowed map[string]bool }

func newCORS(g Guard) cors {
	return cors{allowed: g.allowedOrigins()}
}

// listed reports whether r comes from a page of an origin in the list.
func (c cors) listed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o != "" && c.allowed[normalOrigin(o)]
}

// preflight reports whether r is a CORS preflight from a listed origin: it
// never carries a token.
func (c cors) preflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && c.listed(r)
}

// headers lets a listed origin's page read the answer, whoever gives it.
func (c cors) headers(next http.Handler) http.Handler {
	if len(c.allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if c.listed(r) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			h.Set("Access-Control-Expose-Headers", strings.Join(exposedHeaders, ", "))
		}
		next.ServeHTTP(w, r)
	})
}

// skipForPreflight sends a preflight to open (the transport, whose CORS
// answers it) and any other request to checked (the caller's checks in
// front of it).
func (c cors) skipForPreflight(checked, open http.Handler) http.Handler {
	if len(c.allowed) == 0 {
		return checked
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.preflight(r) {
			open.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// answerPreflight answers a route's preflight: GET, with the headers a
// client of the metadata sends.
func (c cors) answerPreflight(w http.ResponseWriter, r *http.Request) {
	if !c.preflight(r) {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, MCP-Protocol-Version")
	w.WriteHeader(http.StatusNoContent)
}

// routes registers each route on mux behind the Origin check, the token
// check and the size cap (but not Auth), with CORS for listed origins, and
// an OPTIONS pattern beside each GET one for its preflight.
func (c cors) routes(mux *http.ServeMux, g Guard, routes map[string]http.Handler) {
	for pattern, h := range routes {
		mux.Handle(pattern, g.origin(c.headers(g.token(g.size(h)))))
		if path, ok := strings.CutPrefix(pattern, "GET "); ok && len(c.allowed) > 0 {
			mux.Handle("OPTIONS "+path, g.origin(c.headers(http.HandlerFunc(c.answerPreflight))))
		}
	}
}
