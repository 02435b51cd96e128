package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// A 404 from get, toolkits or proxy_execute that speaks of the session, by slug
// or by message, replaces the session and repeats the call once; a 404 that
// speaks of neither, and any 404 from link, does not.
func TestRunRenewsOnSessionGoneVariants(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, c *client.Client, id string) error{
		"get": func(ctx context.Context, c *client.Client, id string) error {
			_, err := c.GetSession(ctx, id)
			return err
		},
		"toolkits": func(ctx context.Context, c *client.Client, id string) error {
			_, err := c.ListToolkits(ctx, id, nil)
			return err
		},
		"proxy_execute": func(ctx context.Context, c *client.Client, id string) error {
			_, err := c.ProxyExecute(ctx, id, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"})
			return err
		},
		"link": func(ctx context.Context, c *client.Client, id string) error {
			_, err := c.CreateLink(ctx, id, &client.LinkRequest{Toolkit: "github"})
			return err
		},
	}
	styles := map[string]composiotest.NotFoundStyle{
		"slug and message": composiotest.NotFoundAsComposio,
		"slug only":        composiotest.NotFoundSlugOnly,
		"message only":     composiotest.NotFoundMessageOnly,
		"neither":          composiotest.NotFoundNeither,
	}
	for _, v := range []client.APIVersion{client.APIv3, client.APIv31} {
		for styleName, style := range styles {
			fake := composiotest.NewServer()
			t.Cleanup(fake.Close)
			fake.SetNotFoundStyle(style)
			c, err := fake.Client(client.WithAPIVersion(v))
			if err != nil {
				t.Fatal(err)
			}
			for callName, call := range calls {
				ctx := context.Background()
				m := New(c, Config{SessionID: "trs_deleted", UserID: "alice"})
				n := 0
				err := m.Run(ctx, func(id string) error { n++; return call(ctx, c, id) })
				renewed := m.ID() != "trs_deleted"
				want := styleName != "neither" && callName != "link"
				if renewed != want || (want && (err != nil || n != 2)) || (!want && (err == nil || n != 1)) {
					t.Errorf("%s, %s, %s: renewed %v after %d calls, err %v; want renewed %v", v, styleName, callName, renewed, n, err, want)
				}
			}
		}
	}
}

// A renewed session is created with the same options as the first.
func TestRenewKeepsOptions(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount("alice", "gmail", "ca_work", "ACTIVE")
	c, err := fake.Client(client.WithAPIVersion(client.APIv31))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := New(c, Config{UserID: "alice", DisableToolkits: []string{"slack"},
		AuthConfigs: map[string]string{"github": "ac_gh"}, ConnectedAccounts: map[string]string{"gmail": "ca_work"}})
	first, err := m.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake.ExpireSession(first)
	if err := m.Run(ctx, func(id string) error { _, err := c.GetSession(ctx, id); return err }); err != nil {
		t.Fatal(err)
	}
	last, _ := fake.LastSessionCreation()
	want := `{"user_id":"alice","toolkits":{"disable":["slack"]},"auth_configs":{"github":"ac_gh"},"connected_accounts":{"gmail":["ca_work"]}}`
	if m.ID() == first || string(last.Body) != want || last.Version != "v3.1" {
		t.Errorf("renewal body %s on %s, want %s", last.Body, last.Version, want)
	}
}

func TestParseSlugIDs(t *testing.T) {
	t.Parallel()
	got, err := ParseSlugIDs(" Gmail=ac_1 , github=ac_2")
	if b, _ := json.Marshal(got); err != nil || string(b) != `{"github":"ac_2","gmail":"ac_1"}` {
		t.Errorf("ParseSlugIDs = %s, %v", b, err)
	}
	if got, err := ParseSlugIDs(" "); got != nil || err != nil {
		t.Errorf("empty = %v, %v", got, err)
	}
	for in, want := range map[string]string{
		"gmail":           "has no '='",
		"=ac_1":           "empty toolkit slug",
		"gmail=":          "empty id",
		"gmail=a,GMAIL=b": "given twice",
		"gmail=ac_1,,x=y": "has no '='",
	} {
		if _, err := ParseSlugIDs(in); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "slug") {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
