package tools

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// TestCompanionToolGolden pins the list_toolkits and connect_toolkit
// definitions, like TestToolGolden does for proxy_execute. Regenerate with
// go test ./tools -update.
func TestCompanionToolGolden(t *testing.T) {
	t.Parallel()
	for name, tool := range map[string]mcp.Tool{
		ListToolkitsName:   listWith(Config{}).Tool(),
		ConnectToolkitName: connectWith(Config{}).Tool(),
	} {
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "testdata/"+name+".golden.json", got)
	}
}

func TestCompanionToolShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tool     mcp.Tool
		readOnly bool
		required string
	}{
		{listWith(Config{}).Tool(), true, ""},
		{connectWith(Config{}).Tool(), false, "toolkit"},
	} {
		b, _ := json.Marshal(tc.tool)
		var def struct {
			InputSchema struct {
				Type     string   `json:"type"`
				Required []string `json:"required"`
			} `json:"inputSchema"`
			OutputSchema map[string]any `json:"outputSchema"`
			Annotations  map[string]any `json:"annotations"`
		}
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatal(err)
		}
		if def.InputSchema.Type != "object" || def.OutputSchema["type"] != "object" {
			t.Errorf("%s: schema roots %q / %v", tc.tool.Name, def.InputSchema.Type, def.OutputSchema["type"])
		}
		if strings.Join(def.InputSchema.Required, ",") != tc.required {
			t.Errorf("%s: required = %v", tc.tool.Name, def.InputSchema.Required)
		}
		if def.Annotations["readOnlyHint"] != tc.readOnly || def.Annotations["destructiveHint"] != false || def.Annotations["title"] == "" {
			t.Errorf("%s: annotations %v", tc.tool.Name, def.Annotations)
		}
	}
}

// fakeAPI is a unit-test stand-in for the whole Composio client.
type fakeAPI struct {
	mu       sync.Mutex
	sessions []string // session ids seen, in order
	toolkits []client.Toolkit
	opts     *client.ListToolkitsOptions
	next     string // the page's next cursor
	link     *client.Link
	linkReq  *client.LinkRequest
	proxy    *client.ProxyResponse
	err      error
}

func (f *fakeAPI) seen(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = append(f.sessions, id)
}

func (f *fakeAPI) ProxyExecute(_ context.Context, id string, _ *client.ProxyRequest) (*client.ProxyResponse, error) {
	f.seen(id)
	return f.proxy, f.err
}

func (f *fakeAPI) ListToolkits(_ context.Context, id string, opts *client.ListToolkitsOptions) (*client.ToolkitPage, error) {
	f.seen(id)
	f.opts = opts
	if f.err != nil {
		return nil, f.err
	}
	return &client.ToolkitPage{Items: f.toolkits, NextCursor: f.next, TotalItems: len(f.toolkits)}, nil
}

func (f *fakeAPI) CreateLink(_ context.Context, id string, req *client.LinkRequest) (*client.Link, error) {
	f.seen(id)
	f.linkReq = req
	if f.err != nil {
		return nil, f.err
	}
	l := *f.link
	l.RedirectURL += "?toolkit=" + req.Toolkit
	return &l, nil
}

// renewingSessions is a Sessions that, like session.Manager, repeats a call
// once with a new id after SessionNotFound.
type renewingSessions struct{ id, next string }

func (s *renewingSessions) Run(_ context.Context, fn func(string) error) error {
	err := fn(s.id)
	if errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}) {
		s.id = s.next
		return fn(s.id)
	}
	return err
}

func callHandler(t *testing.T, h func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error), args string) (*mcp.CallToolResult, *callRecord) {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.RawArguments = json.RawMessage(args)
	ctx, rec := withCallRecord(context.Background())
	res, err := h(ctx, req)
	if err != nil {
		t.Fatalf("handler returned a Go error (protocol error): %v", err)
	}
	return res, rec
}

func single(api API) Tenants { return singleTenant{Client: api, Sessions: FixedSession("trs_test")} }

var sampleToolkits = []client.Toolkit{
	{Slug: "github", Name: "GitHub", ConnectedAccount: &client.ConnectedAccount{ID: "ca_1", Status: "ACTIVE"}},
	{Slug: "slack", Name: "Slack"},
	{Slug: "gmail", Name: "Gmail", ConnectedAccount: &client.ConnectedAccount{ID: "ca_2", Status: "EXPIRED"}},
	{Slug: "hackernews", Name: "Hacker News", IsNoAuth: true},
}

func TestListToolkits(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{toolkits: sampleToolkits}
	l := listWith(Config{Tenants: single(api), Tools: []string{ConnectToolkitName}})
	res, rec := callHandler(t, l.Handle, `{"search":"a","connected":false}`)
	txt := text(res)
	if res.IsError {
		t.Fatalf("error result: %s", txt)
	}
	for _, w := range []string{
		"4 toolkit(s)", "- github (GitHub): connected", "- slack (Slack): not connected",
		"- gmail (Gmail): not connected (account EXPIRED): the account's authorization expired or was revoked; to reconnect it, call connect_toolkit with {\"toolkit\": \"gmail\"}",
		"- hackernews (Hacker News): needs no auth",
		"To use slack, gmail, call connect_toolkit",
	} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(txt, string(sc)) || !strings.Contains(string(sc), `{"slug":"hackernews","name":"Hacker News","connected":true,"needs_auth":false}`) {
		t.Errorf("structured content %s", sc)
	}
	if api.opts.Search != "a" || api.opts.IsConnected == nil || *api.opts.IsConnected || api.opts.Limit != 20 {
		t.Errorf("options %+v", api.opts)
	}
	if rec.Attempts != 1 || rec.Status != 200 || rec.Method != "GET" {
		t.Errorf("record %+v", rec)
	}
}

func TestListToolkitsArguments(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	l := listWith(Config{Tenants: single(api)})
	for args, want := range map[string]string{
		`{"query":"x"}`:       "query: unknown field; the fields are search, connected, limit, cursor",
		`{"connected":"yes"}`: "connected: must be a boolean (true or false), got a JSON string",
		`[1]`:                 "want a JSON object",
	} {
		res, rec := callHandler(t, l.Handle, args)
		if !res.IsError || !strings.Contains(text(res), want) || !strings.Contains(text(res), "nothing was sent") {
			t.Errorf("%s: %s", args, text(res))
		}
		if rec.Attempts != 0 {
			t.Errorf("%s: sent upstream", args)
		}
	}
	for _, args := range []string{``, `{}`, `null`} {
		if res, _ := callHandler(t, l.Handle, args); res.IsError {
			t.Errorf("%q: %s", args, text(res))
		}
	}
	if res, _ := callHandler(t, l.Handle, `{}`); !strings.Contains(text(res), "This session has no toolkits.") {
		t.Errorf("empty: %s", text(res))
	}
}

func TestConnectToolkitReturnsLinkWithoutElicitation(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{link: &client.Link{LinkToken: "lt_1", RedirectURL: "https://connect.composio.dev/link/lt_1", ConnectedAccountID: "ca_9"}}
	c := connectWith(Config{Tenants: single(api)})
	res, rec := callHandler(t, c.Handle, `{"toolkit":" Slack "}`)
	txt := text(res)
	if res.IsError {
		t.Fatal(txt)
	}
	for _, w := range []string{"Give the user this link", "https://connect.composio.dev/link/lt_1?toolkit=slack", `"elicitation":"unsupported"`, `"connected_account_id":"ca_9"`} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	if rec.Toolkit != "slack" || rec.Method != "POST" || rec.Status != 201 {
		t.Errorf("record %+v", rec)
	}
}

func TestConnectToolkitErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args string
		err  error
		want []string
	}{
		{`{}`, nil, []string{"toolkit: required"}},
		{`{"toolkit":""}`, nil, []string{"toolkit: required"}},
		{`{"toolkit":1}`, nil, []string{"toolkit: must be a string"}},
		{`{"toolkit":"nope"}`, &client.APIError{HTTPStatus: 400, Slug: client.SlugBadRequest, Message: "Toolkit 'nope' is not enabled in this session", RequestID: "req_7"},
			[]string{"HTTP 400", "not enabled", "Request ID: req_7", "list_toolkits"}},
		{`{"toolkit":"gmail"}`, &client.APIError{HTTPStatus: 404, Slug: client.SlugSessionNotFound}, []string{"COMPOSIO_USER_ID"}},
		{`{"toolkit":"gmail"}`, &client.TimeoutError{After: 50e9}, []string{"within 50s"}},
	} {
		c := connectWith(Config{Tenants: single(&fakeAPI{err: tc.err, link: &client.Link{}})})
		res, _ := callHandler(t, c.Handle, tc.args)
		if !res.IsError {
			t.Errorf("%s: not an error: %s", tc.args, text(res))
		}
		for _, w := range tc.want {
			if !strings.Contains(text(res), w) {
				t.Errorf("%s: text lacks %q:\n%s", tc.args, w, text(res))
			}
		}
	}
}

func TestNoActiveConnectionPointsAtConnectTool(t *testing.T) {
	t.Parallel()
	noConn := &client.APIError{HTTPStatus: 400, Code: "4302", Slug: client.SlugNoActiveConnection, Message: "No active connection found for toolkit(s) 'slack' in this session"}
	args := `{"toolkit_slug":"slack","endpoint":"/x","method":"GET"}`
	with := proxyWith(Config{Tenants: single(&fakeAPI{err: noConn}), Tools: []string{ConnectToolkitName}})
	res, rec := callHandler(t, with.Handle, args)
	if !strings.Contains(text(res), `Call connect_toolkit with {"toolkit": "slack"}`) {
		t.Errorf("with connect_toolkit:\n%s", text(res))
	}
	if rec.Failure != failureComposio || rec.Slug != client.SlugNoActiveConnection || rec.Toolkit != "slack" {
		t.Errorf("record %+v", rec)
	}
	without := proxyWith(Config{Tenants: single(&fakeAPI{err: noConn})})
	res, _ = callHandler(t, without.Handle, args)
	if strings.Contains(text(res), "connect_toolkit") || !strings.Contains(text(res), "connect their slack account in Composio") {
		t.Errorf("without connect_toolkit:\n%s", text(res))
	}
}

func TestProxyRunsInTenantSession(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{proxy: &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{"ok":true}`), RequestID: "req_3"}}
	p := proxyWith(Config{Tenants: singleTenant{Client: api, Sessions: &renewingSessions{id: "trs_a", next: "trs_b"}}})
	res, rec := callHandler(t, p.Handle, `{"toolkit_slug":"github","endpoint":"/user?token=x","method":"GET"}`)
	if res.IsError || strings.Join(api.sessions, ",") != "trs_a" {
		t.Errorf("%v %v %s", res.IsError, api.sessions, text(res))
	}
	if rec.Status != 200 || rec.Bytes != len(`{"ok":true}`) || rec.RequestID != "req_3" || rec.Attempts != 1 || rec.Endpoint != "/user?token=x" {
		t.Errorf("record %+v", rec)
	}
}

// An expired session is replaced and the call repeated once; the record counts
// both attempts.
func TestProxyRepeatsAfterSessionRenewal(t *testing.T) {
	t.Parallel()
	api := &expiringAPI{fakeAPI: fakeAPI{proxy: &client.ProxyResponse{Status: 200}}, expired: "trs_a"}
	p := proxyWith(Config{Tenants: singleTenant{Client: api, Sessions: &renewingSessions{id: "trs_a", next: "trs_b"}}})
	res, rec := callHandler(t, p.Handle, getUser)
	if res.IsError || strings.Join(api.sessions, ",") != "trs_a,trs_b" || rec.Attempts != 2 {
		t.Errorf("%s sessions=%v record=%+v", text(res), api.sessions, rec)
	}
}

type expiringAPI struct {
	fakeAPI
	expired string
}

func (e *expiringAPI) ProxyExecute(ctx context.Context, id string, req *client.ProxyRequest) (*client.ProxyResponse, error) {
	if id == e.expired {
		e.seen(id)
		return nil, &client.APIError{HTTPStatus: 404, Slug: client.SlugSessionNotFound}
	}
	return e.fakeAPI.ProxyExecute(ctx, id, req)
}

func TestTenantErrorIsAToolResult(t *testing.T) {
	t.Parallel()
	tenants := tenantsFunc(func(context.Context, http.Header) (Tenant, error) {
		return Tenant{}, errors.New("send X-Composio-Api-Key")
	})
	for name, h := range map[string]func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error){
		ProxyExecuteName:   proxyWith(Config{Tenants: tenants}).Handle,
		ListToolkitsName:   listWith(Config{Tenants: tenants}).Handle,
		ConnectToolkitName: connectWith(Config{Tenants: tenants}).Handle,
	} {
		args := `{}`
		switch name {
		case ProxyExecuteName:
			args = getUser
		case ConnectToolkitName:
			args = `{"toolkit":"gmail"}`
		}
		res, rec := callHandler(t, h, args)
		if !res.IsError || !strings.Contains(text(res), "X-Composio-Api-Key") || rec.Attempts != 0 {
			t.Errorf("%s: %v %s", name, res.IsError, text(res))
		}
	}
}

type tenantsFunc func(context.Context, http.Header) (Tenant, error)

func (f tenantsFunc) Tenant(ctx context.Context, h http.Header) (Tenant, error) { return f(ctx, h) }
