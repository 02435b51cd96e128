package composiotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// session is a tool-router session: whose it is and which toolkits it enables.
type session struct {
	id       string
	userID   string
	toolkits []string
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
		if v := r.PathValue("version"); v != "v3" && v != "v3.1" {
			s.notFound(w, r)
			return
		}
		if !s.checkAuth(w, r) {
			return
		}
		h(w, r)
	}
}

// sessionJSON is a session as Composio answers it.
type sessionJSON struct {
	SessionID       string            `json:"session_id"`
	MCP             client.SessionMCP `json:"mcp"`
	ToolRouterTools []string          `json:"tool_router_tools"`
	Config          sessionConfigJSON `json:"config"`
	ConfigVersion   int               `json:"config_version"`
}

type sessionConfigJSON struct {
	UserID            string                 `json:"user_id"`
	Toolkits          client.SessionToolkits `json:"toolkits"`
	ManageConnections map[string]bool        `json:"manage_connections"`
	Preload           map[string][]string    `json:"preload"`
}

func (s *Server) sessionJSON(r *http.Request, ss *session) sessionJSON {
	return sessionJSON{
		SessionID: ss.id,
		MCP:       client.SessionMCP{Type: "http", URL: s.baseURL(r) + "/tool_router/" + ss.id + "/mcp"},
		ToolRouterTools: []string{
			"COMPOSIO_SEARCH_TOOLS", "COMPOSIO_MULTI_EXECUTE_TOOL",
			"COMPOSIO_MANAGE_CONNECTIONS", "COMPOSIO_REMOTE_WORKBENCH",
		},
		Config: sessionConfigJSON{
			UserID:            ss.userID,
			Toolkits:          client.SessionToolkits{Enabled: slices.Clone(ss.toolkits)},
			ManageConnections: map[string]bool{"enabled": true},
			Preload:           map[string][]string{"tools": {}},
		},
		ConfigVersion: 1,
	}
}

// handleSessions serves POST /api/v3/tool_router/session.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	var body struct {
		UserID   json.RawMessage `json:"user_id"`
		Toolkits *struct {
			Enable []string `json:"enable"`
		} `json:"toolkits"`
	}
	if err := decodeObject(r, &body); err != nil {
		s.badRequest(w, "Invalid request body", err.Error())
		return
	}
	var userID string
	if json.Unmarshal(body.UserID, &userID) != nil || userID == "" {
		s.badRequest(w, "Invalid request body", "user_id: Required: a non-empty string")
		return
	}
	toolkits := slices.Clone(defaultToolkits)
	if body.Toolkits != nil && len(body.Toolkits.Enable) > 0 {
		toolkits = nil
		for i, t := range body.Toolkits.Enable {
			if _, ok := lookupToolkit(t); !ok {
				s.badRequest(w, fmt.Sprintf("Toolkit '%s' not found", t),
					fmt.Sprintf("toolkits.enable[%d]: unknown toolkit '%s'", i, t))
				return
			}
			if !slices.Contains(toolkits, t) {
				toolkits = append(toolkits, t)
			}
		}
	}
	ss := &session{id: randomID("trs_", 12), userID: userID, toolkits: toolkits}
	s.mu.Lock()
	s.sessions[ss.id] = ss
	s.userConns(userID)
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
		out = *ss
		out.toolkits = slices.Clone(ss.toolkits)
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
			s.methodNotAllowed(w, r, http.MethodGet)
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
