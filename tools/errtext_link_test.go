package tools

import (
	"context"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// A 404 from creating a link says that the toolkit or its auth config may be
// missing, with the fix, and not that the session expired.
func TestErrorTextLinkNotFound(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	c, err := fake.Client()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateLink(context.Background(), composiotest.SessionID, &client.LinkRequest{Toolkit: "jira"})
	got := ErrorText(err)
	for _, want := range []string{"HTTP 404", "Auth config not found for toolkit 'jira'", `no toolkit "jira", or no auth config for it`, "--auth-configs jira=ac_…", "X-Composio-Auth-Configs"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "expired") {
		t.Errorf("a link 404 is told as an expired session:\n%s", got)
	}
}
