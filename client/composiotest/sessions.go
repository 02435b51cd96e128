package composiotest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// session is a tool-router session: whose it is, which toolkits it enables, and
// what else it was created with, echoed in its config.
type session struct {
	id       string
	userID   string
	toolkits []string
	// disabled is the disable list it was created with, nil for none.
	disabled []string
	// authConfigs and pinned (connected_accounts) map toolkit slugs to ids.
	authConfigs, pinned map[string]string
}

// clone copies ss deeply enough that the copy can be read without s.mu.
func (ss *session) clone() session {
	out := *ss
	out.toolkits = slices.Clone(ss.toolkits)
	out.disabled = slices.Clone(ss.disabled)
	out.authConfigs = maps.Clone(ss.authConfigs)
	out.pinned = maps.Clone(ss.pinned)
	return out
}

// resetState restores the default state; s.mu is held or s is not shared yet.
func (s *Server) resetState() {
	s.sessions = map[string]*session{
		SessionID: {id: SessionID, userID: UserID, toolkits: slices.Clone(defaultToolkits)},
	}
	s.conns = map[string]map[string]*account{}
	s.links = map[string]*link{}
	s.requests = nil
	s.proxyReqs = nil
	s.proxyAccounts = nil
	s.lastCreation = nil
	s.extraAccounts = map[string]*extraAccount{}
}

// routes builds the mux. API routes take any method and dispatch themselves, so that
// a wrong method gets Composio's JSON envelope rather than the mux's plain text.
func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{version}/tool_router/session", s.api(s.handleSessions))
	mux.HandleFunc("/api/{version}/tool_router/session/{id}", s.api(s.handleSession))
	mux.HandleFunc("/api/{version}/tool_router/session/{id}/toolkits", s.api(s.handleToolkits))
	mux.HandleFunc("/api/{version}/tool_router/session/{id}/link", s.api(s.handleLink))
	mux.HandleFunc("/api/{version}/tool_router/session/{id}/proxy_execute", s.api(s.handleProxy))
	mux.HandleFunc("GET /link/{token}", s.handleOpenLink)
	mux.HandleFunc("GET /files/{name}", s.handleFile)
	mux.HandleFunc("/", s.notFound)
	s.mux = mux
}

// api wraps an API handler with the version check and authentication.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := r.PathValue("version")
		if v != "v3" && v != "v3.1" {
			s.notFound(w, r)
			return
		}
		if !s.checkAuth(w, r) {
			return
		}
		// The version rides with the writer, so that every handler's error
		// answers in its version's words without being told.
		h(&versionWriter{ResponseWriter: w, version: v}, r)
	}
}

// versionWriter is a ResponseWriter that knows the API version of its request.
type versionWriter struct {
	http.ResponseWriter
	version string
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *versionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// versionOf is the API version w answers, "v3" when it does not know.
func versionOf(w http.ResponseWriter) string {
	if vw, ok := w.(*versionWriter); ok {
		return vw.version
	}
	return "v3"
}

// sessionJSON is a session as Composio answers it.
type sessionJSON struct {
	SessionID       string            `json:"session_id"`
	MCP             client.SessionMCP `json:"mcp"`
	ToolRouterTools []string          `json:"tool_router_tools"`
	Config          sessionConfigJSON `json:"config"`
	ConfigVersion   int               `json:"config_version"`
}

// sessionConfigJSON is a session's config. Execute and Search exist on v3.1 only;
// ConnectedAccounts takes each version's shape (see pinnedJSON).
type sessionConfigJSON struct {
	UserID            string                 `json:"user_id"`
	Toolkits          client.SessionToolkits `json:"toolkits"`
	AuthConfigs       map[string]string      `json:"auth_configs,omitempty"`
	ConnectedAccounts any                    `json:"connected_accounts,omitempty"`
	ManageConnections map[string]bool        `json:"manage_connections"`
	Preload           map[string][]string    `json:"preload"`
	Search            map[string]any         `json:"search,omitempty"`
	Execute           map[string]any         `json:"execute,omitempty"`
}

func (s *Server) sessionJSON(r *http.Request, ss *session) sessionJSON {
	v31 := r.PathValue("version") == "v3.1"
	cfg := sessionConfigJSON{
		UserID:            ss.userID,
		Toolkits:          client.SessionToolkits{Enabled: slices.Clone(ss.toolkits), Disabled: slices.Clone(ss.disabled)},
		AuthConfigs:       maps.Clone(ss.authConfigs),
		ConnectedAccounts: pinnedJSON(ss.pinned, v31),
		ManageConnections: map[string]bool{"enabled": true},
		Preload:           map[string][]string{"tools": {}},
	}
	if v31 {
		cfg.Search = map[string]any{"enabled": true}
		cfg.Execute = map[string]any{"enabled": true}
	}
	return sessionJSON{
		SessionID: ss.id,
		MCP:       client.SessionMCP{Type: "http", URL: s.baseURL(r) + "/tool_router/" + ss.id + "/mcp"},
		ToolRouterTools: []string{
			"COMPOSIO_SEARCH_TOOLS", "COMPOSIO_MULTI_EXECUTE_TOOL",
			"COMPOSIO_MANAGE_CONNECTIONS", "COMPOSIO_REMOTE_WORKBENCH",
		},
		Config:        cfg,
		ConfigVersion: 1,
	}
}

// handleSessions serves POST /api/{v3,v3.1}/tool_router/session.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.lastCreation = &SessionCreation{Version: r.PathValue("version"), Body: body}
	s.mu.Unlock()
	ss, errs := s.newSession(body, r.PathValue("version") == "v3.1")
	if errs != nil {
		s.writeError(w, *errs)
		return
	}
	s.mu.Lock()
	s.sessions[ss.id] = ss
	s.userConns(ss.userID)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.sessionJSON(r, ss))
}

// decodeObject decodes a JSON object body into v.
func decodeObject(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: invalid JSON object: %v", err)
	}
	return nil
}

// lookupSession returns a copy of the session, or answers SessionNotFound.
func (s *Server) lookupSession(w http.ResponseWriter, id string) (session, bool) {
	s.mu.Lock()
	ss, ok := s.sessions[id]
	var out session
	if ok {
		out = ss.clone()
	}
	s.mu.Unlock()
	if !ok {
		s.sessionNotFound(w, id)
	}
	return out, ok
}

// handleSession serves GET (v3, v3.1) and DELETE (v3.1 only) of one session.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet:
		ss, ok := s.lookupSession(w, id)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, s.sessionJSON(r, &ss))
	case http.MethodDelete:
		if r.PathValue("version") != "v3.1" {
			// There is no DELETE on v3: Composio answers as for any unknown route.
			s.notFound(w, r)
			return
		}
		if _, ok := s.lookupSession(w, id); !ok {
			return
		}
		s.ExpireSession(id)
		writeJSON(w, http.StatusOK, map[string]any{"session_id": id, "deleted": true})
	default:
		s.methodNotAllowed(w, r, "GET, DELETE")
	}
}
