package composiotest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// toolkitInfo is a toolkit the fake knows.
type toolkitInfo struct {
	Slug, Name, Description string
	// BaseURL is the connected account's base URL; endpoints resolve against it and
	// absolute endpoints must share its registrable domain.
	BaseURL string
	NoAuth  bool
}

// catalogue lists the toolkits a session may enable. hackernews needs no auth, so it
// works without a connected account.
var catalogue = []toolkitInfo{
	{Slug: "github", Name: "GitHub", BaseURL: "https://api.github.com", Description: "Code hosting, issues and pull requests."},
	{Slug: "gmail", Name: "Gmail", BaseURL: "https://gmail.googleapis.com", Description: "Google's email service."},
	{Slug: "slack", Name: "Slack", BaseURL: "https://slack.com/api", Description: "Team messaging."},
	{Slug: "googlecalendar", Name: "Google Calendar", BaseURL: "https://www.googleapis.com/calendar/v3", Description: "Calendars and events."},
	{Slug: "notion", Name: "Notion", BaseURL: "https://api.notion.com/v1", Description: "Notes, docs and databases."},
	{Slug: "hackernews", Name: "Hacker News", BaseURL: "https://hacker-news.firebaseio.com/v0", Description: "Public Hacker News API.", NoAuth: true},
}

// defaultToolkits are enabled in a session created without a toolkit list.
var defaultToolkits = []string{"github", "gmail", "slack"}

func lookupToolkit(slug string) (toolkitInfo, bool) {
	for _, t := range catalogue {
		if t.Slug == slug {
			return t, true
		}
	}
	return toolkitInfo{}, false
}

type session struct {
	id       string
	userID   string
	toolkits []string
}

type account struct {
	id           string
	authConfigID string
	createdAt    time.Time
}

type link struct {
	sessionID, userID, toolkit, accountID, callbackURL string
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

// userConns returns userID's connections, giving a new user the default ones:
// UserID has github and gmail connected, anyone else github only. s.mu is held.
func (s *Server) userConns(userID string) map[string]*account {
	if m, ok := s.conns[userID]; ok {
		return m
	}
	m := map[string]*account{}
	s.conns[userID] = m
	connected := []string{"github"}
	if userID == UserID {
		connected = []string{"github", "gmail"}
	}
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, t := range connected {
		m[t] = &account{id: "ca_" + t + "_" + userID, authConfigID: "ac_" + t, createdAt: epoch}
	}
	return m
}

// ExpireSession forgets a session, so calls with its id get ToolRouterV2_SessionNotFound.
func (s *Server) ExpireSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

// Connect gives userID an active connected account for toolkit.
func (s *Server) Connect(userID, toolkit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connect(userID, toolkit, "")
}

// Disconnect removes userID's connected account for toolkit, so proxy calls for it get
// ToolRouterV2_NoActiveConnection.
func (s *Server) Disconnect(userID, toolkit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.userConns(userID), toolkit)
}

// connect records a connection; s.mu is held.
func (s *Server) connect(userID, toolkit, accountID string) {
	if accountID == "" {
		accountID = randomID("ca_", 12)
	}
	s.userConns(userID)[toolkit] = &account{id: accountID, authConfigID: "ac_" + toolkit, createdAt: time.Now().UTC()}
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

// toolkitJSON is a toolkit item as Composio lists it.
type toolkitJSON struct {
	Name                       string               `json:"name"`
	Slug                       string               `json:"slug"`
	Enabled                    bool                 `json:"enabled"`
	IsNoAuth                   bool                 `json:"is_no_auth"`
	ComposioManagedAuthSchemes []string             `json:"composio_managed_auth_schemes"`
	Meta                       client.ToolkitMeta   `json:"meta"`
	ConnectedAccount           *connectedAccountRaw `json:"connected_account"`
}

type connectedAccountRaw struct {
	ID         string            `json:"id"`
	UserID     string            `json:"user_id"`
	Status     string            `json:"status"`
	CreatedAt  string            `json:"created_at"`
	AuthConfig client.AuthConfig `json:"auth_config"`
}

// handleToolkits serves GET /api/v3/tool_router/session/{id}/toolkits.
func (s *Server) handleToolkits(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	q := r.URL.Query()
	limit, offset, isConnected, errs := 20, 0, "", []string(nil)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			errs = append(errs, "limit: must be an integer from 1 to 50")
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, ok := decodeCursor(v)
		if !ok {
			errs = append(errs, "cursor: invalid cursor")
		}
		offset = n
	}
	if v := q.Get("is_connected"); v != "" {
		if v != "true" && v != "false" {
			errs = append(errs, "is_connected: must be true or false")
		}
		isConnected = v
	}
	if len(errs) > 0 {
		s.badRequest(w, "Invalid query parameters", errs...)
		return
	}
	ss, ok := s.lookupSession(w, r.PathValue("id"))
	if !ok {
		return
	}
	var only []string
	if v := q.Get("toolkits"); v != "" {
		for t := range strings.SplitSeq(v, ",") {
			only = append(only, strings.TrimSpace(t))
		}
	}
	search := strings.ToLower(q.Get("search"))

	var items []toolkitJSON
	s.mu.Lock()
	conns := s.userConns(ss.userID)
	for _, slug := range ss.toolkits {
		info, _ := lookupToolkit(slug)
		if only != nil && !slices.Contains(only, slug) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(info.Name), search) && !strings.Contains(slug, search) {
			continue
		}
		item := toolkitJSON{
			Name: info.Name, Slug: slug, Enabled: true, IsNoAuth: info.NoAuth,
			ComposioManagedAuthSchemes: []string{},
			Meta:                       client.ToolkitMeta{Logo: "https://logos.composio.dev/api/" + slug, Description: info.Description},
		}
		if !info.NoAuth {
			item.ComposioManagedAuthSchemes = []string{"OAUTH2"}
			if a := conns[slug]; a != nil {
				item.ConnectedAccount = &connectedAccountRaw{
					ID: a.id, UserID: ss.userID, Status: "ACTIVE", CreatedAt: a.createdAt.Format(time.RFC3339),
					AuthConfig: client.AuthConfig{ID: a.authConfigID, AuthScheme: "OAUTH2", IsComposioManaged: true},
				}
			}
		}
		connected := info.NoAuth || item.ConnectedAccount != nil
		if isConnected != "" && strconv.FormatBool(connected) != isConnected {
			continue
		}
		items = append(items, item)
	}
	s.mu.Unlock()

	total := len(items)
	page := items[min(offset, total):min(offset+limit, total)]
	var next *string
	if offset+limit < total {
		c := encodeCursor(offset + limit)
		next = &c
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"items":        append([]toolkitJSON{}, page...),
		"next_cursor":  next,
		"total_pages":  (total + limit - 1) / limit,
		"current_page": offset/limit + 1,
		"total_items":  total,
	})
}

// Cursors are opaque to callers, as Composio's are; inside they are an offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "offset:") {
		return 0, false
	}
	return n, true
}

// handleLink serves POST /api/v3/tool_router/session/{id}/link.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	var body struct {
		Toolkit     string `json:"toolkit"`
		CallbackURL string `json:"callback_url"`
	}
	if err := decodeObject(r, &body); err != nil {
		s.badRequest(w, "Invalid request body", err.Error())
		return
	}
	if body.Toolkit == "" {
		s.badRequest(w, "Invalid request body", "toolkit: Required")
		return
	}
	if body.CallbackURL != "" {
		if u, err := url.Parse(body.CallbackURL); err != nil || !u.IsAbs() {
			s.badRequest(w, "Invalid request body", "callback_url: Invalid url")
			return
		}
	}
	ss, ok := s.lookupSession(w, r.PathValue("id"))
	if !ok {
		return
	}
	if !slices.Contains(ss.toolkits, body.Toolkit) {
		s.badRequest(w, fmt.Sprintf("Toolkit '%s' is not enabled in this session", body.Toolkit),
			"toolkit: not one of "+strings.Join(ss.toolkits, ", "))
		return
	}
	l := &link{
		sessionID: ss.id, userID: ss.userID, toolkit: body.Toolkit,
		accountID: randomID("ca_", 12), callbackURL: body.CallbackURL,
	}
	token := randomID("lt_", 16)
	s.mu.Lock()
	s.links[token] = l
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, client.Link{
		LinkToken:          token,
		RedirectURL:        s.baseURL(r) + "/link/" + token,
		ConnectedAccountID: l.accountID,
	})
}

// handleOpenLink serves GET /link/{token}, the page a person opens to connect an
// account: opening it is enough to connect the toolkit for the session's user.
func (s *Server) handleOpenLink(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.mu.Lock()
	l, ok := s.links[token]
	if ok {
		s.connect(l.userID, l.toolkit, l.accountID)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<!doctype html><title>unknown link</title><p>This link is unknown or has expired.</p>\n")
		return
	}
	fmt.Fprintf(w, "<!doctype html><title>connected</title><p>connected: %s for user %s. You can close this page.</p>\n",
		html.EscapeString(l.toolkit), html.EscapeString(l.userID))
	if l.callbackURL != "" {
		fmt.Fprintf(w, "<p><a href=\"%s\">Continue</a></p>\n", html.EscapeString(l.callbackURL))
	}
}
