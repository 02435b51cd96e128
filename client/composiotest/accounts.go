package composiotest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// account is a connected account of one user for one toolkit.
type account struct {
	id           string
	authConfigID string
	createdAt    time.Time
	// status is one of client.StatusActive and the others; only an ACTIVE
	// account makes proxy calls.
	status string
	alias  string
}

// active reports whether a can make proxy calls.
func (a *account) active() bool { return a != nil && a.status == client.StatusActive }

// link is a pending connect link: opening it connects the account.
type link struct {
	sessionID, userID, toolkit, accountID, callbackURL, alias string
}

// userConns returns userID's connections, giving a new user the default ones:
// UserID has github and gmail ACTIVE and googlecalendar EXPIRED (so that the
// sandbox shows a connection to repair), anyone else github only. s.mu is held.
func (s *Server) userConns(userID string) map[string]*account {
	if m, ok := s.conns[userID]; ok {
		return m
	}
	m := map[string]*account{}
	s.conns[userID] = m
	statuses := map[string]string{"github": client.StatusActive}
	if userID == UserID {
		statuses["gmail"] = client.StatusActive
		statuses["googlecalendar"] = client.StatusExpired
	}
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for t, status := range statuses {
		m[t] = &account{id: "ca_" + t + "_" + userID, authConfigID: "ac_" + t, createdAt: epoch, status: status}
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
	s.connect(userID, toolkit, "", "")
}

// SetConnectionStatus sets the status of userID's connected account for toolkit
// (ACTIVE, INITIATED, EXPIRED, FAILED, INACTIVE, as Composio names them), giving
// the user an account with that status when there is none. Only an ACTIVE account
// makes proxy calls; opening a link makes it ACTIVE again.
func (s *Server) SetConnectionStatus(userID, toolkit, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.userConns(userID)
	if a := conns[toolkit]; a != nil {
		a.status = status
		return
	}
	s.connect(userID, toolkit, "", "")
	conns[toolkit].status = status
}

// Disconnect removes userID's connected account for toolkit, so proxy calls for it get
// ToolRouterV2_NoActiveConnection.
func (s *Server) Disconnect(userID, toolkit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.userConns(userID), toolkit)
}

// connect records an ACTIVE connection; s.mu is held.
func (s *Server) connect(userID, toolkit, accountID, alias string) {
	if accountID == "" {
		accountID = randomID("ca_", 12)
	}
	s.userConns(userID)[toolkit] = &account{
		id: accountID, authConfigID: "ac_" + toolkit, createdAt: time.Now().UTC(),
		status: client.StatusActive, alias: alias,
	}
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
		Alias       string `json:"alias"`
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
	if e := linkNotFound(&ss, body.Toolkit); e != nil {
		s.writeError(w, *e)
		return
	}
	if !slices.Contains(ss.toolkits, body.Toolkit) {
		s.badRequest(w, fmt.Sprintf("Toolkit '%s' is not enabled in this session", body.Toolkit),
			"toolkit: not one of "+strings.Join(ss.toolkits, ", "))
		return
	}
	l := &link{
		sessionID: ss.id, userID: ss.userID, toolkit: body.Toolkit,
		accountID: randomID("ca_", 12), callbackURL: body.CallbackURL, alias: body.Alias,
	}
	token := randomID("lt_", 16)
	s.mu.Lock()
	s.links[token] = l
	// As in Composio, the link's account exists from now on, INITIATED until a
	// person finishes connecting it; an ACTIVE account stays the one in use.
	if conns := s.userConns(l.userID); !conns[l.toolkit].active() {
		conns[l.toolkit] = &account{
			id: l.accountID, authConfigID: "ac_" + l.toolkit, createdAt: time.Now().UTC(),
			status: client.StatusInitiated, alias: l.alias,
		}
	}
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
		s.connect(l.userID, l.toolkit, l.accountID, l.alias)
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
