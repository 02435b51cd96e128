package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// list_toolkits pages through every toolkit by cursor and shows the EXPIRED
// account with its fix; connect_toolkit sends alias and callback URL.
func TestCompanionsPagingStatusAndLink(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL), "--connect-callback-url", "https://example.com/back")

	var slugs []string
	var all string
	args := map[string]any{"limit": 3}
	for range 5 {
		res := mustCall(t, ctx, c, "list_toolkits", args)
		all += resultText(res) + "\n"
		var page struct {
			Toolkits []struct {
				Slug string `json:"slug"`
			} `json:"toolkits"`
			NextCursor string `json:"next_cursor"`
		}
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, &page); err != nil || res.IsError {
			t.Fatalf("%s", resultText(res))
		}
		for _, tk := range page.Toolkits {
			slugs = append(slugs, tk.Slug)
		}
		if page.NextCursor == "" {
			break
		}
		args = map[string]any{"limit": 3, "cursor": page.NextCursor}
	}
	if strings.Join(slugs, ",") != "github,gmail,slack,googlecalendar" {
		t.Errorf("paged through %v", slugs)
	}
	for _, w := range []string{"3 toolkit(s) on this page, of 4:", `call list_toolkits again with {"cursor": "`,
		`- googlecalendar (Google Calendar): not connected (account EXPIRED): the account's authorization expired or was revoked; to reconnect it, call connect_toolkit with {"toolkit": "googlecalendar"}`} {
		if !strings.Contains(all, w) {
			t.Errorf("list_toolkits lacks %q:\n%s", w, all)
		}
	}

	res := mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "googlecalendar", "alias": "work"})
	if res.IsError {
		t.Fatal(resultText(res))
	}
	var body map[string]string
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/link") {
			json.Unmarshal(r.Body, &body)
		}
	}
	if body["toolkit"] != "googlecalendar" || body["alias"] != "work" || body["callback_url"] != "https://example.com/back" {
		t.Errorf("the fake received %v", body)
	}
}

// Under --dry-run connect_toolkit answers with the request and creates no link.
func TestConnectToolkitDryRunSendsNoLink(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL), "--dry-run")
	res := mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "slack", "alias": "work"})
	txt := resultText(res)
	if res.IsError || !strings.Contains(txt, "DRY RUN: nothing was sent") || !strings.Contains(txt, "/api/v3/tool_router/session/"+composiotest.SessionID+"/link") || !strings.Contains(txt, `"alias":"work"`) {
		t.Errorf("result: %s", txt)
	}
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/link") {
			t.Errorf("the fake saw a link request: %s %s", r.Method, r.Path)
		}
	}
}
