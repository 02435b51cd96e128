package composiotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// toolkitsOf lists the sandbox session's toolkits by slug.
func toolkitsOf(t *testing.T, c *client.Client, sessionID string) map[string]client.Toolkit {
	t.Helper()
	all, err := c.AllToolkits(context.Background(), sessionID, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]client.Toolkit{}
	for _, tk := range all {
		m[tk.Slug] = tk
	}
	return m
}

// The sandbox user's googlecalendar account is EXPIRED: listed with its status and
// auth config, and refused by proxy_execute as Composio refuses a call without an
// active connection.
func TestSandboxHasAnExpiredAccount(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	tk := toolkitsOf(t, c, composiotest.SessionID)["googlecalendar"]
	if tk.ConnectedAccount == nil || tk.ConnectedAccount.Status != client.StatusExpired || tk.ConnectedAccount.AuthConfig.ID == "" || tk.Connected() {
		t.Fatalf("googlecalendar = %+v", tk)
	}
	_, err := proxy(t, c, get("googlecalendar", "/users/me/calendarList"))
	e := apiErr(t, err)
	if e.HTTPStatus != 400 || e.Code != "4302" || e.Slug != client.SlugNoActiveConnection || !strings.Contains(e.Message, "'googlecalendar'") {
		t.Errorf("proxy on EXPIRED: %+v", e)
	}
	// The wire form names status and auth_config.id, which Composio's SDK reads.
	resp := raw(t, "GET", srv.URL+"/api/v3/tool_router/session/"+composiotest.SessionID+"/toolkits?toolkits=googlecalendar",
		map[string]string{"x-api-key": composiotest.APIKey}, "")
	var page struct {
		Items []struct {
			ConnectedAccount struct {
				Status     string `json:"status"`
				AuthConfig struct {
					ID string `json:"id"`
				} `json:"auth_config"`
			} `json:"connected_account"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Items) != 1 ||
		page.Items[0].ConnectedAccount.Status != "EXPIRED" || page.Items[0].ConnectedAccount.AuthConfig.ID != "ac_googlecalendar" {
		t.Errorf("wire toolkits = %+v, %v", page, err)
	}
}

// Only an ACTIVE account makes calls or counts as connected.
func TestSetConnectionStatus(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	connected := true
	for _, status := range []string{client.StatusInitiated, client.StatusExpired, client.StatusFailed, client.StatusInactive, client.StatusActive} {
		srv.SetConnectionStatus(composiotest.UserID, "github", status)
		_, err := proxy(t, c, get("github", "/user"))
		if got := toolkitsOf(t, c, composiotest.SessionID)["github"].ConnectedAccount.Status; got != status {
			t.Errorf("%s: listed as %s", status, got)
		}
		only, _ := c.AllToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{IsConnected: &connected, Toolkits: []string{"github"}})
		if active := status == client.StatusActive; (err == nil) != active || (len(only) == 1) != active {
			t.Errorf("%s: proxy err %v, is_connected=true lists %d", status, err, len(only))
		}
	}
	// A toolkit without an account gets one with the status.
	srv.SetConnectionStatus(composiotest.UserID, "slack", client.StatusFailed)
	if got := toolkitsOf(t, c, composiotest.SessionID)["slack"].ConnectedAccount; got == nil || got.Status != client.StatusFailed {
		t.Errorf("slack = %+v", got)
	}
}

// A link, with its alias and callback URL, makes an INITIATED account that becomes
// ACTIVE once its redirect_url is opened.
func TestLinkRepairsAnExpiredAccount(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	l, err := c.CreateLink(ctx, composiotest.SessionID, &client.LinkRequest{Toolkit: "googlecalendar", Alias: "work", CallbackURL: "https://example.com/back"})
	if err != nil {
		t.Fatal(err)
	}
	got := toolkitsOf(t, c, composiotest.SessionID)["googlecalendar"].ConnectedAccount
	if got == nil || got.Status != client.StatusInitiated || got.ID != l.ConnectedAccountID {
		t.Errorf("after the link: %+v", got)
	}
	var sent map[string]string
	reqs := srv.Requests()
	if err := json.Unmarshal(reqs[len(reqs)-2].Body, &sent); err != nil || sent["alias"] != "work" || sent["callback_url"] != "https://example.com/back" {
		t.Errorf("link body %s", reqs[len(reqs)-2].Body)
	}
	resp := raw(t, "GET", l.RedirectURL, nil, "")
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), "https://example.com/back") {
		t.Errorf("page %s", page)
	}
	got = toolkitsOf(t, c, composiotest.SessionID)["googlecalendar"].ConnectedAccount
	if got == nil || got.Status != client.StatusActive || got.ID != l.ConnectedAccountID {
		t.Errorf("after opening it: %+v", got)
	}
	if _, err := proxy(t, c, get("googlecalendar", "/users/me/calendarList")); err != nil {
		t.Errorf("proxy after repair: %v", err)
	}
	// A link for an ACTIVE account leaves it in use until the new one is finished.
	if _, err := c.CreateLink(ctx, composiotest.SessionID, &client.LinkRequest{Toolkit: "github"}); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy(t, c, get("github", "/user")); err != nil {
		t.Errorf("github while a new link is pending: %v", err)
	}
	// alias must be a string.
	resp = raw(t, "POST", srv.URL+"/api/v3/tool_router/session/"+composiotest.SessionID+"/link",
		map[string]string{"x-api-key": composiotest.APIKey}, `{"toolkit":"gmail","alias":7}`)
	if resp.StatusCode != 400 {
		t.Errorf("numeric alias: %d", resp.StatusCode)
	}
}

// OriginMismatch compares scheme and registrable domain.
func TestOriginSchemeAndRegistrableDomain(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	for endpoint, ok := range map[string]bool{
		"https://api.github.com/user":      true,
		"https://uploads.github.com/x":     true,
		"https://GITHUB.com./x":            true,
		"http://api.github.com/user":       false,
		"https://evil-github.com/user":     false,
		"https://github.com.evil.io/x":     false,
		"//api.github.com/user":            false,
		"https://api.github.com:8443/user": true,
	} {
		_, err := proxy(t, c, get("github", endpoint))
		if mismatch := errors.Is(err, &client.APIError{Slug: client.SlugOriginMismatch}); mismatch == ok || (ok && err != nil) {
			t.Errorf("%s: err %v, want allowed=%v", endpoint, err, ok)
		}
	}
}
