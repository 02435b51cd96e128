package composiotest

import (
	"encoding/base64"
	"net/http"
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
	// NoManagedAuth marks a toolkit without Composio-managed auth: a session
	// enabling it needs an auth config for it (auth_configs).
	NoManagedAuth bool
}

// catalogue lists the toolkits a session may enable. hackernews needs no auth, so it
// works without a connected account; jira has no Composio-managed auth, so a session
// enabling it needs an auth config.
var catalogue = []toolkitInfo{
	{Slug: "github", Name: "GitHub", BaseURL: "https://api.github.com", Description: "Code hosting, issues and pull requests."},
	{Slug: "gmail", Name: "Gmail", BaseURL: "https://gmail.googleapis.com", Description: "Google's email service."},
	{Slug: "slack", Name: "Slack", BaseURL: "https://slack.com/api", Description: "Team messaging."},
	{Slug: "googlecalendar", Name: "Google Calendar", BaseURL: "https://www.googleapis.com/calendar/v3", Description: "Calendars and events."},
	{Slug: "notion", Name: "Notion", BaseURL: "https://api.notion.com/v1", Description: "Notes, docs and databases."},
	{Slug: "jira", Name: "Jira", BaseURL: "https://api.atlassian.com", Description: "Issue tracking.", NoManagedAuth: true},
	{Slug: "hackernews", Name: "Hacker News", BaseURL: "https://hacker-news.firebaseio.com/v0", Description: "Public Hacker News API.", NoAuth: true},
}

// defaultToolkits are enabled in a session created without a toolkit list.
// googlecalendar is among them for the sandbox user's EXPIRED account.
var defaultToolkits = []string{"github", "gmail", "slack", "googlecalendar"}

func lookupToolkit(slug string) (toolkitInfo, bool) {
	for _, t := range catalogue {
		if t.Slug == slug {
			return t, true
		}
	}
	return toolkitInfo{}, false
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
					ID: a.id, UserID: ss.userID, Status: a.status, CreatedAt: a.createdAt.Format(time.RFC3339),
					AuthConfig: client.AuthConfig{ID: a.authConfigID, AuthScheme: "OAUTH2", IsComposioManaged: true},
				}
			}
		}
		s.sessionToolkit(&item, &ss, info)
		// Connected as Composio's SDK counts it: only an ACTIVE account.
		connected := info.NoAuth || (item.ConnectedAccount != nil && item.ConnectedAccount.Status == client.StatusActive)
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
