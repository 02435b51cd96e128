package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxToolkitPages bounds AllToolkits, so that a server that never stops handing out
// cursors cannot keep a caller looping.
const maxToolkitPages = 100

// CreateSessionRequest is the body of POST /api/v3/tool_router/session (or v3.1).
type CreateSessionRequest struct {
	// UserID is the user whose connected accounts the session uses. Required.
	UserID string
	// Toolkits restricts the session to these toolkit slugs; empty means Composio's
	// default set.
	Toolkits []string
	// DisableToolkits keeps these toolkit slugs out of the session. Composio takes
	// either an enable or a disable list, so it goes with an empty Toolkits only.
	DisableToolkits []string
	// AuthConfigs names the auth config (ac_…) to use per toolkit slug; Composio
	// needs one for a toolkit without Composio-managed auth.
	AuthConfigs map[string]string
	// ConnectedAccounts pins the connected account (ca_…) per toolkit slug, for a
	// user with several; without a pin Composio uses the most recently connected.
	ConnectedAccounts map[string]string
}

// createSessionWire is CreateSessionRequest as Composio spells it. ConnectedAccounts
// is {"gmail":"ca_…"} on v3 and {"gmail":["ca_…"]} on v3.1, hence any.
type createSessionWire struct {
	UserID            string                `json:"user_id"`
	Toolkits          *createSessionToolkit `json:"toolkits,omitempty"`
	AuthConfigs       map[string]string     `json:"auth_configs,omitempty"`
	ConnectedAccounts any                   `json:"connected_accounts,omitempty"`
}

type createSessionToolkit struct {
	Enable  []string `json:"enable,omitempty"`
	Disable []string `json:"disable,omitempty"`
}

// wire is r in the shape of API version v.
func (r CreateSessionRequest) wire(v APIVersion) createSessionWire {
	w := createSessionWire{UserID: r.UserID}
	switch {
	case len(r.Toolkits) > 0:
		w.Toolkits = &createSessionToolkit{Enable: r.Toolkits}
	case len(r.DisableToolkits) > 0:
		w.Toolkits = &createSessionToolkit{Disable: r.DisableToolkits}
	}
	if len(r.AuthConfigs) > 0 {
		w.AuthConfigs = r.AuthConfigs
	}
	if len(r.ConnectedAccounts) > 0 {
		if v == APIv31 {
			lists := make(map[string][]string, len(r.ConnectedAccounts))
			for slug, id := range r.ConnectedAccounts {
				lists[slug] = []string{id}
			}
			w.ConnectedAccounts = lists
		} else {
			w.ConnectedAccounts = r.ConnectedAccounts
		}
	}
	return w
}

// MarshalJSON implements json.Marshaler with Composio's v3 shape, {"user_id",
// "toolkits": {"enable": […]} or {"disable": […]}, "auth_configs", "connected_accounts"},
// leaving out what is not given. CreateSession sends the shape of the client's version.
func (r CreateSessionRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(r.wire(APIv3))
}

// UnmarshalJSON implements json.Unmarshaler, the inverse of MarshalJSON; it lets a
// fake server decode what the client sends. It accepts connected_accounts in either
// version's shape, keeping the first id of a v3.1 list.
func (r *CreateSessionRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		UserID            string                     `json:"user_id"`
		Toolkits          *createSessionToolkit      `json:"toolkits"`
		AuthConfigs       map[string]string          `json:"auth_configs"`
		ConnectedAccounts map[string]json.RawMessage `json:"connected_accounts"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = CreateSessionRequest{UserID: w.UserID, AuthConfigs: w.AuthConfigs}
	if w.Toolkits != nil {
		r.Toolkits, r.DisableToolkits = w.Toolkits.Enable, w.Toolkits.Disable
	}
	for slug, raw := range w.ConnectedAccounts {
		var one string
		var list []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
		case json.Unmarshal(raw, &list) == nil && len(list) > 0:
			one = list[0]
		default:
			return fmt.Errorf("connected_accounts.%s: want a string or a list of strings", slug)
		}
		if r.ConnectedAccounts == nil {
			r.ConnectedAccounts = map[string]string{}
		}
		r.ConnectedAccounts[slug] = one
	}
	return nil
}

// Session is a tool-router session: a user plus the toolkits the session may use.
type Session struct {
	// SessionID identifies the session (trs_…) in every other call.
	SessionID string `json:"session_id"`
	// MCP is Composio's own hosted MCP endpoint for the session.
	MCP SessionMCP `json:"mcp"`
	// Config is the session's configuration.
	Config SessionConfig `json:"config"`
	// ConfigVersion counts changes to Config.
	ConfigVersion int `json:"config_version"`
}

// SessionMCP is the MCP endpoint Composio hosts for a session.
type SessionMCP struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// SessionConfig is the part of a session's configuration callers act on, as Composio
// echoes it back.
type SessionConfig struct {
	UserID   string          `json:"user_id"`
	Toolkits SessionToolkits `json:"toolkits"`
	// AuthConfigs are the auth configs asked for, per toolkit slug.
	AuthConfigs map[string]string `json:"auth_configs,omitempty"`
	// ConnectedAccounts are the pinned accounts, per toolkit slug: a string on v3,
	// a list on v3.1, so kept raw (see PinnedAccount).
	ConnectedAccounts map[string]json.RawMessage `json:"connected_accounts,omitempty"`
	// Execute, Search and Preload are v3.1's; absent on v3.
	Execute json.RawMessage `json:"execute,omitempty"`
	Search  json.RawMessage `json:"search,omitempty"`
	Preload json.RawMessage `json:"preload,omitempty"`
}

// PinnedAccount returns the connected account pinned for toolkit in either version's
// shape, "" when none.
func (c *SessionConfig) PinnedAccount(toolkit string) string {
	raw := c.ConnectedAccounts[toolkit]
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	return ""
}

// SessionToolkits lists the toolkits enabled (or, when asked so, disabled) in a session.
type SessionToolkits struct {
	Enabled  []string `json:"enabled"`
	Disabled []string `json:"disabled,omitempty"`
}

// Toolkit is one toolkit of a session, with the session user's connected account for it.
type Toolkit struct {
	Name                       string            `json:"name"`
	Slug                       string            `json:"slug"`
	Enabled                    bool              `json:"enabled"`
	IsNoAuth                   bool              `json:"is_no_auth"`
	ComposioManagedAuthSchemes []string          `json:"composio_managed_auth_schemes"`
	Meta                       ToolkitMeta       `json:"meta"`
	ConnectedAccount           *ConnectedAccount `json:"connected_account"`
}

// Connected reports whether the toolkit can be used by proxy_execute now: it needs no
// auth, or the user has a connected account whose status is ACTIVE. Like Composio's
// SDK, it counts no other status (an empty one included) as connected.
func (t *Toolkit) Connected() bool {
	if t.IsNoAuth {
		return true
	}
	return t.ConnectedAccount != nil && t.ConnectedAccount.Status == StatusActive
}

// ToolkitMeta is a toolkit's display information.
type ToolkitMeta struct {
	Logo        string `json:"logo"`
	Description string `json:"description"`
}

// ConnectedAccount is a user's connection to a toolkit.
type ConnectedAccount struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Status     string     `json:"status"`
	CreatedAt  string     `json:"created_at"`
	AuthConfig AuthConfig `json:"auth_config"`
}

// AuthConfig is the auth configuration a connected account was made with.
type AuthConfig struct {
	ID                string `json:"id"`
	AuthScheme        string `json:"auth_scheme"`
	IsComposioManaged bool   `json:"is_composio_managed"`
}

// ToolkitPage is one page of a session's toolkits.
type ToolkitPage struct {
	Items []Toolkit `json:"items"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor  string `json:"next_cursor"`
	TotalPages  int    `json:"total_pages"`
	CurrentPage int    `json:"current_page"`
	TotalItems  int    `json:"total_items"`
}

// ListToolkitsOptions filters and pages ListToolkits; zero values are left out of the
// query, so Composio's defaults apply.
type ListToolkitsOptions struct {
	// Limit is the page size, 1 to 50 (Composio's default is 20).
	Limit int
	// Cursor is a ToolkitPage.NextCursor from the previous page.
	Cursor string
	// Toolkits keeps only these slugs.
	Toolkits []string
	// IsConnected, when set, keeps only connected (true) or unconnected (false) toolkits.
	IsConnected *bool
	// Search matches toolkit names and slugs.
	Search string
}

func (o *ListToolkitsOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if len(o.Toolkits) > 0 {
		q.Set("toolkits", strings.Join(o.Toolkits, ","))
	}
	if o.IsConnected != nil {
		q.Set("is_connected", strconv.FormatBool(*o.IsConnected))
	}
	if o.Search != "" {
		q.Set("search", o.Search)
	}
	return q
}

// Link is the answer to CreateLink: the URL a person opens to connect an account.
type Link struct {
	LinkToken          string `json:"link_token"`
	RedirectURL        string `json:"redirect_url"`
	ConnectedAccountID string `json:"connected_account_id"`
}

// CreateSession creates a tool-router session for req.UserID.
func (c *Client) CreateSession(ctx context.Context, req *CreateSessionRequest) (*Session, error) {
	if req == nil || req.UserID == "" {
		return nil, errors.New("composio: creating a session needs a user id")
	}
	if len(req.Toolkits) > 0 && len(req.DisableToolkits) > 0 {
		return nil, errors.New("composio: a session takes either toolkits to enable or toolkits to disable, not both")
	}
	s := new(Session)
	if _, _, err := c.do(ctx, http.MethodPost, c.prefix()+"/tool_router/session", nil, req.wire(c.apiVersion), false, s); err != nil {
		return nil, err
	}
	return s, nil
}

// GetSession fetches a session; a deleted or unknown one yields an error for which
// IsSessionGone holds.
func (c *Client) GetSession(ctx context.Context, sessionID string) (*Session, error) {
	path, err := c.sessionPath(sessionID, "")
	if err != nil {
		return nil, err
	}
	s := new(Session)
	if _, _, err := c.do(ctx, http.MethodGet, path, nil, nil, true, s); err != nil {
		return nil, err
	}
	return s, nil
}

// ListToolkits fetches one page of a session's toolkits, with the user's connection
// state for each.
func (c *Client) ListToolkits(ctx context.Context, sessionID string, opts *ListToolkitsOptions) (*ToolkitPage, error) {
	path, err := c.sessionPath(sessionID, "/toolkits")
	if err != nil {
		return nil, err
	}
	p := new(ToolkitPage)
	if _, _, err := c.do(ctx, http.MethodGet, path, opts.query(), nil, true, p); err != nil {
		return nil, err
	}
	return p, nil
}

// AllToolkits fetches every page of a session's toolkits, starting at opts.Cursor and
// following NextCursor. It gives up with an error after 100 pages or on a cursor that
// repeats, rather than loop forever.
func (c *Client) AllToolkits(ctx context.Context, sessionID string, opts *ListToolkitsOptions) ([]Toolkit, error) {
	o := ListToolkitsOptions{}
	if opts != nil {
		o = *opts
	}
	var all []Toolkit
	seen := map[string]bool{}
	for range maxToolkitPages {
		p, err := c.ListToolkits(ctx, sessionID, &o)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, nil
		}
		if seen[p.NextCursor] {
			return nil, fmt.Errorf("composio: listing toolkits: cursor %q repeated", p.NextCursor)
		}
		seen[p.NextCursor] = true
		o.Cursor = p.NextCursor
	}
	return nil, fmt.Errorf("composio: listing toolkits: more than %d pages", maxToolkitPages)
}

// CreateLink starts connecting the session user's account for req.Toolkit: a person
// opens the returned RedirectURL. NewLinkRequest shows the request without sending it.
func (c *Client) CreateLink(ctx context.Context, sessionID string, req *LinkRequest) (*Link, error) {
	path, payload, err := linkCall(c.prefix(), sessionID, req)
	if err != nil {
		return nil, err
	}
	l := new(Link)
	if _, _, err := c.do(ctx, http.MethodPost, path, nil, encodedJSON(payload), false, l); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusNotFound {
			// A 404 here may mean that the toolkit or its auth config does not
			// exist, not that the session is gone: never a reason to renew.
			return nil, &LinkNotFoundError{Toolkit: req.Toolkit, Err: apiErr}
		}
		return nil, err
	}
	return l, nil
}

// DeleteSession deletes a session. Composio offers this only under /api/v3.1, so it
// uses that prefix whatever the client's API version: on v3 there is no DELETE.
func (c *Client) DeleteSession(ctx context.Context, sessionID string) error {
	path, err := sessionPath(apiPrefix(APIv31), sessionID, "")
	if err != nil {
		return err
	}
	_, _, err = c.do(ctx, http.MethodDelete, path, nil, nil, false, nil)
	return err
}
