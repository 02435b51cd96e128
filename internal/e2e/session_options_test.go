package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The session options reach the session-creation body in the shape of the API
// version, every session call uses that version's paths (DELETE aside, which
// the server never sends), and a session deleted under the server is replaced
// on the same version with the same body.
func TestSessionOptionsE2E(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want map[string]string // API version → the body
	}{
		{"defaults", nil, map[string]string{
			"v3": `{"user_id":"alice"}`, "v3.1": `{"user_id":"alice"}`}},
		{"toolkits and auth configs", []string{"--toolkits", "gmail,github", "--auth-configs", "gmail=ac_gmail,github=ac_github"}, map[string]string{
			"v3":   `{"user_id":"alice","toolkits":{"enable":["gmail","github"]},"auth_configs":{"github":"ac_github","gmail":"ac_gmail"}}`,
			"v3.1": `{"user_id":"alice","toolkits":{"enable":["gmail","github"]},"auth_configs":{"github":"ac_github","gmail":"ac_gmail"}}`}},
		{"toolkits disabled", []string{"--toolkits-disable", "slack,gmail"}, map[string]string{
			"v3":   `{"user_id":"alice","toolkits":{"disable":["slack","gmail"]}}`,
			"v3.1": `{"user_id":"alice","toolkits":{"disable":["slack","gmail"]}}`}},
		{"connected accounts", []string{"--connected-accounts", "gmail=ca_work"}, map[string]string{
			"v3":   `{"user_id":"alice","connected_accounts":{"gmail":"ca_work"}}`,
			"v3.1": `{"user_id":"alice","connected_accounts":{"gmail":["ca_work"]}}`}},
	}
	for _, tc := range cases {
		for _, version := range []string{"v3", "v3.1"} {
			t.Run(tc.name+" "+version, func(t *testing.T) {
				t.Parallel()
				fake := backend(t)
				fake.AddAccount("alice", "gmail", "ca_work", "ACTIVE")
				ctx := testContext(t, 30*time.Second)
				args := append([]string{"--api-version", version}, tc.args...)
				c, stderr := stdioClient(t, ctx, userEnv(fake.URL, "alice"), args...)
				last, ok := fake.LastSessionCreation()
				if !ok || last.Version != version || string(last.Body) != tc.want[version] {
					t.Fatalf("session body on %s: %s, want %s on %s\nstderr: %s", last.Version, last.Body, tc.want[version], version, lastBytes(stderr.String()))
				}
				t.Logf("POST /api/%s/tool_router/session %s", version, last.Body)

				mustCall(t, ctx, c, "list_toolkits", map[string]any{})
				mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "github"})
				call := map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}
				if res := mustCall(t, ctx, c, "proxy_execute", call); res.IsError {
					t.Fatalf("proxy_execute: %s", resultText(res))
				}
				var paths []string
				for _, r := range fake.Requests() {
					paths = append(paths, r.Method+" "+r.Path)
					if !strings.HasPrefix(r.Path, "/api/"+version+"/") || r.Method == http.MethodDelete {
						t.Errorf("a %s call outside %s: %s %s", version, version, r.Method, r.Path)
					}
				}
				t.Logf("paths: %s", strings.Join(paths, ", "))

				// Deleted under the server: replaced once, with the same body.
				ids := proxySessionIDs(fake)
				fake.ExpireSession(ids[len(ids)-1])
				if res := mustCall(t, ctx, c, "proxy_execute", call); res.IsError {
					t.Fatalf("proxy_execute after the session was deleted: %s", resultText(res))
				}
				creations := sessionCreations(fake)
				if len(creations) != 2 || string(creations[1].Body) != tc.want[version] || creations[1].Path != "/api/"+version+"/tool_router/session" {
					t.Errorf("renewal: %d creations, last %s %s", len(creations), creations[len(creations)-1].Path, creations[len(creations)-1].Body)
				}
				if tc.name == "connected accounts" {
					if got := fake.ProxyAccounts(); len(got) == 0 {
						t.Error("no proxied call recorded")
					}
					gmail := map[string]any{"toolkit_slug": "gmail", "endpoint": "/gmail/v1/users/me/profile", "method": "GET"}
					res := mustCall(t, ctx, c, "proxy_execute", gmail)
					if got := fake.ProxyAccounts(); res.IsError || got[len(got)-1] != "ca_work" {
						t.Errorf("gmail proxied with %v, want the pinned ca_work: %s", got, resultText(res))
					}
				}
			})
		}
	}
}

// Invalid session options stop the server at start, naming the flag and the
// form it takes.
func TestSessionOptionsRefusedAtStart(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no =":            {[]string{"--auth-configs", "gmail"}, "--auth-configs: item 1 has no '=': want slug=id"},
		"duplicate":       {[]string{"--connected-accounts", "gmail=ca_1,gmail=ca_2"}, "--connected-accounts: toolkit gmail is given twice"},
		"enable, disable": {[]string{"--toolkits", "gmail", "--toolkits-disable", "slack"}, "--toolkits and --toolkits-disable do not go together"},
		"api version":     {[]string{"--api-version", "v2"}, `--api-version "v2": want v3 or v3.1`},
	} {
		_, stderr, code := runBinary(t, userEnv("http://127.0.0.1:9", "alice"), tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %s", name, code, stderr)
		}
	}
}

// On a multi-tenant server a caller's option headers shape its sessions; a
// malformed one is refused with an isError result naming the header.
func TestSessionOptionHeadersE2E(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	fake.AddAccount("alice", "gmail", "ca_work", "ACTIVE")
	addr, _ := startHTTP(t, []string{"COMPOSIO_API_KEY=", "COMPOSIO_USER_API_KEY=", "COMPOSIO_SESSION_ID=", "COMPOSIO_USER_ID=", "COMPOSIO_BASE_URL=" + fake.URL},
		"--transport", "http", "--multi-tenant", "--api-version", "v3.1")
	ctx := testContext(t, 30*time.Second)
	call := map[string]any{"toolkit_slug": "gmail", "endpoint": "/gmail/v1/users/me/profile", "method": "GET"}
	good := connectHTTP(t, ctx, "http", addr, map[string]string{"X-Composio-Api-Key": secretKey, "X-Composio-User-Id": "alice",
		"X-Composio-Auth-Configs": "gmail=ac_mine", "X-Composio-Connected-Accounts": "gmail=ca_work"})
	if res := mustCall(t, ctx, good, "proxy_execute", call); res.IsError {
		t.Fatalf("proxy_execute: %s", resultText(res))
	}
	last, _ := fake.LastSessionCreation()
	var body map[string]any
	if json.Unmarshal(last.Body, &body) != nil || string(last.Body) != `{"user_id":"alice","auth_configs":{"gmail":"ac_mine"},"connected_accounts":{"gmail":["ca_work"]}}` {
		t.Errorf("session body %s", last.Body)
	}
	if got := fake.ProxyAccounts(); !slices.Equal(got, []string{"ca_work"}) {
		t.Errorf("proxied with %v", got)
	}
	bad := connectHTTP(t, ctx, "http", addr, map[string]string{"X-Composio-Api-Key": secretKey, "X-Composio-User-Id": "alice",
		"X-Composio-Connected-Accounts": "gmail"})
	res := mustCall(t, ctx, bad, "proxy_execute", call)
	if !res.IsError || !strings.Contains(resultText(res), "The X-Composio-Connected-Accounts header is malformed") || !strings.Contains(resultText(res), "slug=id") {
		t.Errorf("bad header: %s", resultText(res))
	}
}
