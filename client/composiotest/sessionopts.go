package composiotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// newSession checks a session-creation body as Composio does and builds the
// session it asks for: toolkits enabled or disabled, auth configs for toolkits
// without Composio-managed auth, and pinned accounts in the shape of the version
// (v3: {"gmail":"ca_…"}; v3.1: {"gmail":["ca_…"]}).
func (s *Server) newSession(body []byte, v31 bool) (*session, *apiError) {
	var req struct {
		UserID   json.RawMessage `json:"user_id"`
		Toolkits *struct {
			Enable  []string `json:"enable"`
			Disable []string `json:"disable"`
		} `json:"toolkits"`
		AuthConfigs       map[string]string          `json:"auth_configs"`
		ConnectedAccounts map[string]json.RawMessage `json:"connected_accounts"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequestError("Invalid request body", "body: invalid JSON object: "+err.Error())
	}
	var userID string
	if json.Unmarshal(req.UserID, &userID) != nil || userID == "" {
		return nil, badRequestError("Invalid request body", "user_id: Required: a non-empty string")
	}
	ss := &session{id: randomID("trs_", 12), userID: userID, toolkits: slices.Clone(defaultToolkits)}
	if t := req.Toolkits; t != nil {
		if len(t.Enable) > 0 && len(t.Disable) > 0 {
			return nil, badRequestError("Invalid request body", "toolkits: give either enable or disable, not both")
		}
		for field, list := range map[string][]string{"enable": t.Enable, "disable": t.Disable} {
			for i, slug := range list {
				if _, ok := lookupToolkit(slug); !ok {
					return nil, badRequestError(fmt.Sprintf("Toolkit '%s' not found", slug),
						fmt.Sprintf("toolkits.%s[%d]: unknown toolkit '%s'", field, i, slug))
				}
			}
		}
		if len(t.Enable) > 0 {
			ss.toolkits = nil
			for _, slug := range t.Enable {
				if !slices.Contains(ss.toolkits, slug) {
					ss.toolkits = append(ss.toolkits, slug)
				}
			}
		}
		if len(t.Disable) > 0 {
			ss.disabled = slices.Clone(t.Disable)
			ss.toolkits = slices.DeleteFunc(ss.toolkits, func(slug string) bool { return slices.Contains(t.Disable, slug) })
		}
	}
	for slug, id := range req.AuthConfigs {
		if _, ok := lookupToolkit(slug); !ok || !strings.HasPrefix(id, "ac_") {
			return nil, badRequestError("Invalid request body", fmt.Sprintf("auth_configs.%s: want a known toolkit and an auth config id (ac_…)", slug))
		}
	}
	ss.authConfigs = req.AuthConfigs
	for _, slug := range ss.toolkits {
		if e := needsAuthConfig(slug, ss.authConfigs); e != nil {
			return nil, e
		}
	}
	pinned, e := s.decodePins(req.ConnectedAccounts, userID, v31)
	if e != nil {
		return nil, e
	}
	ss.pinned = pinned
	return ss, nil
}

// needsAuthConfig is Composio's answer for a toolkit without Composio-managed auth
// and no auth config given for it, nil when there is nothing to say.
func needsAuthConfig(slug string, authConfigs map[string]string) *apiError {
	info, _ := lookupToolkit(slug)
	if !info.NoManagedAuth || authConfigs[slug] != "" {
		return nil
	}
	return &apiError{
		HTTP: http.StatusBadRequest, Code: 4300, Slug: "ToolRouterV2_BadRequest",
		Message:      fmt.Sprintf("No auth config found for toolkit '%s': it has no Composio-managed auth, so an auth config is required", slug),
		SuggestedFix: fmt.Sprintf(`Create an auth config for %s in the Composio dashboard and pass it as auth_configs: {"%s": "ac_…"}.`, slug, slug),
		Errors:       []string{"auth_configs." + slug + ": Required"},
	}
}

// decodePins checks connected_accounts: each value in the version's shape, and an
// account of the user for that toolkit.
func (s *Server) decodePins(raw map[string]json.RawMessage, userID string, v31 bool) (map[string]string, *apiError) {
	if len(raw) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for slug, v := range raw {
		var id string
		var list []string
		switch {
		case !v31 && json.Unmarshal(v, &id) == nil:
		case v31 && json.Unmarshal(v, &list) == nil && len(list) == 1:
			id = list[0]
		case v31:
			return nil, badRequestError("Invalid request body", fmt.Sprintf("connected_accounts.%s: Expected array, received %s", slug, jsonKind(v)))
		default:
			return nil, badRequestError("Invalid request body", fmt.Sprintf("connected_accounts.%s: Expected string, received %s", slug, jsonKind(v)))
		}
		s.mu.Lock()
		_, status := s.accountByID(userID, slug, id)
		s.mu.Unlock()
		if status == "" {
			return nil, badRequestError(fmt.Sprintf("Connected account '%s' not found", id),
				fmt.Sprintf("connected_accounts.%s: no %s account %s for user %s", slug, slug, id, userID))
		}
		out[slug] = id
	}
	return out, nil
}

func badRequestError(message string, errs ...string) *apiError {
	return &apiError{
		HTTP: http.StatusBadRequest, Code: 4300, Slug: "ToolRouterV2_BadRequest",
		Message:      message,
		SuggestedFix: "Fix the fields listed in errors and send the request again.",
		Errors:       errs,
	}
}

// pinnedJSON is a session's pinned accounts in the version's shape, nil for none.
func pinnedJSON(pinned map[string]string, v31 bool) any {
	if len(pinned) == 0 {
		return nil
	}
	if !v31 {
		return pinned
	}
	lists := map[string][]string{}
	for slug, id := range pinned {
		lists[slug] = []string{id}
	}
	return lists
}

// extraAccount is a further connected account of a user, added by AddAccount, that
// only a session pinning it uses.
type extraAccount struct {
	userID, toolkit, status string
	createdAt               time.Time
}

// AddAccount gives userID another connected account for toolkit, with id accountID
// and status (ACTIVE, INITIATED, EXPIRED, FAILED or INACTIVE). A session uses it
// only when it pins it with connected_accounts: otherwise the user's usual account
// stays the one in use, as the most recently connected one would be.
func (s *Server) AddAccount(userID, toolkit, accountID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extraAccounts[accountID] = &extraAccount{userID: userID, toolkit: toolkit, status: status, createdAt: time.Now().UTC()}
}

// accountByID finds userID's account id for toolkit: an added one, or the user's
// usual one (ACTIVE). status is "" when there is none. s.mu is held.
func (s *Server) accountByID(userID, toolkit, id string) (createdAt time.Time, status string) {
	if a := s.extraAccounts[id]; a != nil && a.userID == userID && a.toolkit == toolkit {
		return a.createdAt, a.status
	}
	if a := s.userConns(userID)[toolkit]; a != nil && a.id == id {
		return a.createdAt, "ACTIVE"
	}
	return time.Time{}, ""
}

// pinnedAccount is the account the session pins for toolkit, with its status; ok is
// false when it pins none. s.mu is held.
func (s *Server) pinnedAccount(ss *session, toolkit string) (id, status string, createdAt time.Time, ok bool) {
	id, ok = ss.pinned[toolkit]
	if !ok {
		return "", "", time.Time{}, false
	}
	createdAt, status = s.accountByID(ss.userID, toolkit, id)
	if status == "" {
		status = "INACTIVE" // removed since the session was created
	}
	return id, status, createdAt, true
}

// proxyAccount is the account a proxied call for toolkit uses in ss, "" when there
// is no active one: the pinned account if the session pins one, else the user's
// usual one. s.mu is held.
func (s *Server) proxyAccount(ss *session, toolkit string) string {
	if id, status, _, ok := s.pinnedAccount(ss, toolkit); ok {
		if status != client.StatusActive {
			return ""
		}
		return id
	}
	if a := s.userConns(ss.userID)[toolkit]; a.active() {
		return a.id
	}
	return ""
}

// sessionToolkit adjusts a toolkit item to what the session was created with: no
// Composio-managed scheme for a toolkit that has none, and the pinned account, with
// its status, in place of the user's usual one. s.mu is held.
func (s *Server) sessionToolkit(item *toolkitJSON, ss *session, info toolkitInfo) {
	if info.NoManagedAuth {
		item.ComposioManagedAuthSchemes = []string{}
		if a := item.ConnectedAccount; a != nil {
			a.AuthConfig = client.AuthConfig{ID: ss.authConfigs[info.Slug], AuthScheme: "API_KEY"}
		}
	}
	id, status, createdAt, ok := s.pinnedAccount(ss, info.Slug)
	if !ok {
		return
	}
	item.ConnectedAccount = &connectedAccountRaw{
		ID: id, UserID: ss.userID, Status: status, CreatedAt: createdAt.Format(time.RFC3339),
		AuthConfig: client.AuthConfig{ID: "ac_" + info.Slug, AuthScheme: "OAUTH2", IsComposioManaged: !info.NoManagedAuth},
	}
	if c := ss.authConfigs[info.Slug]; c != "" {
		item.ConnectedAccount.AuthConfig.ID = c
	}
}

// noteProxyAccount records the account a proxied call used, keeping as many as
// requests are kept. s.mu is held.
func (s *Server) noteProxyAccount(id string) {
	if s.maxRecorded == 0 {
		return
	}
	s.proxyAccounts = append(s.proxyAccounts, id)
	if len(s.proxyAccounts) > s.maxRecorded {
		s.proxyAccounts = slices.Delete(s.proxyAccounts, 0, len(s.proxyAccounts)-s.maxRecorded)
	}
}

// linkNotFound is the 404 a link answers for a toolkit that does not exist, or one
// without Composio-managed auth whose session has no auth config for it; nil when
// neither holds.
func linkNotFound(ss *session, toolkit string) *apiError {
	info, ok := lookupToolkit(toolkit)
	switch {
	case !ok:
		return &apiError{HTTP: http.StatusNotFound, Code: 10404, Slug: "HTTP_NotFound",
			Message: fmt.Sprintf("Toolkit '%s' not found", toolkit)}
	case info.NoManagedAuth && ss.authConfigs[toolkit] == "":
		return &apiError{HTTP: http.StatusNotFound, Code: 10404, Slug: "HTTP_NotFound",
			Message:      fmt.Sprintf("Auth config not found for toolkit '%s': it has no Composio-managed auth", toolkit),
			SuggestedFix: fmt.Sprintf(`Create an auth config for %s and create the session with auth_configs: {"%s": "ac_…"}.`, toolkit, toolkit)}
	}
	return nil
}
