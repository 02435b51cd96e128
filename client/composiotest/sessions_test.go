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

// rawJSON sends body to path with the fake's key and decodes the answer.
func rawJSON(t *testing.T, srv *composiotest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp := raw(t, method, srv.URL+path, map[string]string{"x-api-key": composiotest.APIKey, "content-type": "application/json"}, body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// Each version answers with its own session shape, echoing what was asked.
func TestSessionShapesPerVersion(t *testing.T) {
	t.Parallel()
	srv := composiotest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		version, pin string
		v31          bool
	}{
		{"v3", `"ca_github_sandbox_user"`, false},
		{"v3.1", `["ca_github_sandbox_user"]`, true},
	} {
		body := `{"user_id":"sandbox_user","toolkits":{"disable":["gmail"]},"auth_configs":{"github":"ac_gh"},"connected_accounts":{"github":` + tc.pin + `}}`
		status, s := rawJSON(t, srv, "POST", "/api/"+tc.version+"/tool_router/session", body)
		if status != 201 {
			t.Fatalf("%s: %d %v", tc.version, status, s)
		}
		cfg := dig(s, "config")
		enabled, _ := json.Marshal(dig(cfg, "toolkits", "enabled"))
		if string(enabled) != `["github","slack","googlecalendar"]` {
			t.Errorf("%s: enabled %s: the disabled gmail is still in", tc.version, enabled)
		}
		pins, _ := json.Marshal(dig(cfg, "connected_accounts"))
		want := `{"github":"ca_github_sandbox_user"}`
		if tc.v31 {
			want = `{"github":["ca_github_sandbox_user"]}`
		}
		if string(pins) != want || dig(cfg, "auth_configs", "github") != "ac_gh" || dig(cfg, "toolkits", "disabled") == nil {
			t.Errorf("%s: config %v", tc.version, cfg)
		}
		has31 := dig(cfg, "execute") != nil && dig(cfg, "search") != nil && dig(cfg, "preload") != nil
		if has31 != tc.v31 || dig(cfg, "preload") == nil {
			t.Errorf("%s: execute/search present = %v: %v", tc.version, has31, cfg)
		}
		if last, ok := srv.LastSessionCreation(); !ok || last.Version != tc.version || string(last.Body) != body {
			t.Errorf("%s: last creation %+v", tc.version, last)
		}
	}
}

// connected_accounts in the other version's shape, enable with disable, and an
// unknown pinned account are refused as Composio's validation does.
func TestSessionValidation(t *testing.T) {
	t.Parallel()
	srv := composiotest.NewServer()
	defer srv.Close()
	for name, tc := range map[string]struct{ version, body, want string }{
		"list on v3":         {"v3", `{"user_id":"u","connected_accounts":{"github":["ca_github_u"]}}`, "connected_accounts.github: Expected string, received array"},
		"string on v3.1":     {"v3.1", `{"user_id":"u","connected_accounts":{"github":"ca_github_u"}}`, "connected_accounts.github: Expected array, received string"},
		"unknown account":    {"v3", `{"user_id":"u","connected_accounts":{"github":"ca_nope"}}`, "connected_accounts.github: no github account ca_nope"},
		"enable and disable": {"v3", `{"user_id":"u","toolkits":{"enable":["github"],"disable":["gmail"]}}`, "toolkits: give either enable or disable"},
		"jira, no config":    {"v3", `{"user_id":"u","toolkits":{"enable":["jira"]}}`, "auth_configs.jira: Required"},
	} {
		status, s := rawJSON(t, srv, "POST", "/api/"+tc.version+"/tool_router/session", tc.body)
		errs, _ := json.Marshal(dig(s, "error", "errors"))
		if status != 400 || !strings.Contains(string(errs), tc.want) {
			t.Errorf("%s: %d %v", name, status, s)
		}
	}
	if status, s := rawJSON(t, srv, "POST", "/api/v3/tool_router/session", `{"user_id":"u","toolkits":{"enable":["jira"]},"auth_configs":{"jira":"ac_j"}}`); status != 201 {
		t.Errorf("jira with an auth config: %d %v", status, s)
	}
}

// A link for a toolkit without Composio-managed auth, in a session without an auth
// config for it, answers 404 asking for one; so does an unknown toolkit.
func TestLinkNeedsAuthConfig(t *testing.T) {
	t.Parallel()
	srv := composiotest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	ctx := context.Background()
	for toolkit, want := range map[string]string{"jira": "Auth config not found for toolkit 'jira'", "nope": "Toolkit 'nope' not found"} {
		_, err := c.CreateLink(ctx, composiotest.SessionID, &client.LinkRequest{Toolkit: toolkit})
		var le *client.LinkNotFoundError
		if !errors.As(err, &le) || !strings.Contains(le.Err.Message, want) {
			t.Errorf("%s: %v", toolkit, err)
		}
	}
	s, err := c.CreateSession(ctx, &client.CreateSessionRequest{UserID: "u", Toolkits: []string{"jira"}, AuthConfigs: map[string]string{"jira": "ac_j"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLink(ctx, s.SessionID, &client.LinkRequest{Toolkit: "jira"}); err != nil {
		t.Errorf("link with an auth config: %v", err)
	}
	tks, err := c.AllToolkits(ctx, s.SessionID, nil)
	if err != nil || len(tks) != 1 || len(tks[0].ComposioManagedAuthSchemes) != 0 || tks[0].IsNoAuth {
		t.Errorf("jira's toolkit item = %+v, %v", tks, err)
	}
}

// A pinned account is the one proxied calls use, and the one the toolkits list
// shows, with its status; a pinned account that is not ACTIVE is no connection.
func TestPinnedAccount(t *testing.T) {
	t.Parallel()
	srv := composiotest.NewServer()
	defer srv.Close()
	srv.AddAccount(composiotest.UserID, "gmail", "ca_work", "ACTIVE")
	srv.AddAccount(composiotest.UserID, "github", "ca_old", "EXPIRED")
	ctx := context.Background()
	for _, v := range []client.APIVersion{client.APIv3, client.APIv31} {
		c, _ := srv.Client(client.WithAPIVersion(v))
		s, err := c.CreateSession(ctx, &client.CreateSessionRequest{UserID: composiotest.UserID,
			ConnectedAccounts: map[string]string{"gmail": "ca_work", "github": "ca_old"}})
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if s.Config.PinnedAccount("gmail") != "ca_work" {
			t.Errorf("%s: config %+v", v, s.Config)
		}
		if _, err := c.ProxyExecute(ctx, s.SessionID, &client.ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/gmail/v1/users/me/profile", Method: "GET"}); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got := srv.ProxyAccounts(); got[len(got)-1] != "ca_work" {
			t.Errorf("%s: proxied with %v, want the pinned ca_work", v, got)
		}
		_, err = c.ProxyExecute(ctx, s.SessionID, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"})
		if !errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection}) {
			t.Errorf("%s: proxy with an expired pinned account: %v", v, err)
		}
		tks, err := c.AllToolkits(ctx, s.SessionID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tks {
			if tk.Slug == "github" && (tk.ConnectedAccount == nil || tk.ConnectedAccount.ID != "ca_old" || tk.ConnectedAccount.Status != "EXPIRED") {
				t.Errorf("%s: github item %+v", v, tk.ConnectedAccount)
			}
		}
	}
}

// A missing session answers 404 with code, status and slug, in each version's
// words; DELETE exists on v3.1 only.
func TestSessionNotFoundPerVersion(t *testing.T) {
	t.Parallel()
	srv := composiotest.NewServer()
	defer srv.Close()
	for version, msg := range map[string]string{
		"v3":   "Tool router session with ID trs_gone not found",
		"v3.1": "Tool router session with ID trs_gone does not exist or has been deleted",
	} {
		status, s := rawJSON(t, srv, "GET", "/api/"+version+"/tool_router/session/trs_gone", "")
		e := dig(s, "error")
		if status != 404 || dig(e, "message") != msg || dig(e, "slug") != client.SlugSessionNotFound || dig(e, "status") != 404.0 || dig(e, "code") == nil {
			t.Errorf("%s: %d %v", version, status, s)
		}
	}
	if status, _ := rawJSON(t, srv, "DELETE", "/api/v3/tool_router/session/"+composiotest.SessionID, ""); status != 404 {
		t.Errorf("DELETE on v3: %d, want 404", status)
	}
	for style, want := range map[composiotest.NotFoundStyle]bool{
		composiotest.NotFoundAsComposio: true, composiotest.NotFoundSlugOnly: true,
		composiotest.NotFoundMessageOnly: true, composiotest.NotFoundNeither: false,
	} {
		srv.SetNotFoundStyle(style)
		c, _ := srv.Client(client.WithAPIVersion(client.APIv31))
		if _, err := c.GetSession(context.Background(), "trs_gone"); client.IsSessionGone(err) != want {
			t.Errorf("style %d: IsSessionGone(%v) = %v", style, err, !want)
		}
	}
}
