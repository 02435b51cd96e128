package tools

import (
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

func TestListToolkitsPages(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{toolkits: sampleToolkits[:2], next: "b2Zmc2V0OjI"}
	l := listWith(Config{Tenants: single(api)})
	res, _ := callHandler(t, l.Handle, `{"limit":2,"cursor":"b2Zmc2V0OjA"}`)
	txt := text(res)
	if res.IsError || api.opts.Limit != 2 || api.opts.Cursor != "b2Zmc2V0OjA" || len(api.sessions) != 1 {
		t.Fatalf("%v %+v %s", api.sessions, api.opts, txt)
	}
	for _, w := range []string{`"next_cursor":"b2Zmc2V0OjI"`, `call list_toolkits again with {"cursor": "b2Zmc2V0OjI"}`,
		"the user must connect the slack account again in Composio (this server offers no tool to do it)"} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	for args, want := range map[string]string{
		`{"limit":0}`:      "limit: must be from 1 to 50, got 0",
		`{"limit":51}`:     "limit: must be from 1 to 50, got 51",
		`{"limit":2.5}`:    "limit: must be an integer",
		`{"cursor":"a b"}`: "cursor: not a cursor",
		`{"cursor":7}`:     "cursor: must be a string",
		`{"cursor":"` + strings.Repeat("x", 2000) + `"}`: "cursor: not a cursor",
	} {
		api := &fakeAPI{}
		res, rec := callHandler(t, listWith(Config{Tenants: single(api)}).Handle, args)
		if !res.IsError || !strings.Contains(text(res), want) || rec.Attempts != 0 || len(api.sessions) != 0 {
			t.Errorf("%.40s: %s", args, text(res))
		}
	}
}

func TestListToolkitsFixPerStatus(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]string{
		client.StatusInitiated: "started and not finished; to reconnect it, call connect_toolkit",
		client.StatusExpired:   "expired or was revoked; to reconnect it",
		client.StatusFailed:    "connecting the account failed; to reconnect it",
		client.StatusInactive:  "the account was disabled; to reconnect it",
		"WEIRD":                "the account is not ACTIVE; to reconnect it",
	} {
		api := &fakeAPI{toolkits: []client.Toolkit{{Slug: "notion", Name: "Notion", ConnectedAccount: &client.ConnectedAccount{Status: status}}}}
		res, _ := callHandler(t, listWith(Config{Tenants: single(api), Tools: []string{ConnectToolkitName}}).Handle, `{}`)
		if !strings.Contains(text(res), want) || !strings.Contains(text(res), `"fix":"`) || !strings.Contains(text(res), `"connected":false`) {
			t.Errorf("%q: %s", status, text(res))
		}
	}
}

func TestConnectToolkitSendsAliasAndCallback(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{link: &client.Link{RedirectURL: "https://connect.composio.dev/link/lt_1"}}
	c := connectWith(Config{Tenants: single(api), ConnectCallbackURL: "https://example.com/back"})
	res, _ := callHandler(t, c.Handle, `{"toolkit":"gmail","alias":" work "}`)
	if res.IsError || *api.linkReq != (client.LinkRequest{Toolkit: "gmail", CallbackURL: "https://example.com/back", Alias: "work"}) {
		t.Errorf("%+v %s", api.linkReq, text(res))
	}
	for args, want := range map[string]string{
		`{"toolkit":"gmail","alias":""}`:        "alias: must not be empty",
		`{"toolkit":"gmail","alias":"a\u0001"}`: "alias: want a short label",
		`{"toolkit":"gmail","alias":1}`:         "alias: must be a string",
	} {
		api := &fakeAPI{link: &client.Link{}}
		res, _ := callHandler(t, connectWith(Config{Tenants: single(api)}).Handle, args)
		if !res.IsError || !strings.Contains(text(res), want) || api.linkReq != nil {
			t.Errorf("%s: %s", args, text(res))
		}
	}
}

// Under --dry-run connect_toolkit shows the link request and sends nothing.
func TestConnectToolkitDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	fake, cl := fakeBackend(t)
	c := connectWith(Config{Tenants: singleTenant{Client: cl, Sessions: FixedSession(composiotest.SessionID)}, DryRun: true, ConnectCallbackURL: "https://example.com/back"})
	if c.Tool().RawOutputSchema != nil {
		t.Error("dry run declares an output schema")
	}
	res, _ := callHandler(t, c.Handle, `{"toolkit":"slack","alias":"work"}`)
	txt := text(res)
	for _, w := range []string{"DRY RUN: nothing was sent", "POST " + fake.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/link",
		"X-Api-Key: " + client.Redacted, `{"toolkit":"slack","callback_url":"https://example.com/back","alias":"work"}`} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	if res.IsError || len(fake.Requests()) != 0 {
		t.Errorf("sent %d requests: %s", len(fake.Requests()), txt)
	}
}
