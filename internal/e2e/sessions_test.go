package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// End-to-end tests of sessions, the companion tools, the operator commands,
// the audit log and multi-tenant serving, against the built binary and the
// fake backend. Helpers come from harness_test.go and client_test.go.

// userEnv configures a server that knows a user id and no session id.
func userEnv(baseURL, userID string) []string {
	return []string{
		"COMPOSIO_API_KEY=" + secretKey,
		"COMPOSIO_SESSION_ID=",
		"COMPOSIO_USER_ID=" + userID,
		"COMPOSIO_BASE_URL=" + baseURL,
	}
}

// sessionCreations returns the POST /session requests the fake received.
func sessionCreations(fake *composiotest.Server) []composiotest.Request {
	var out []composiotest.Request
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/tool_router/session") {
			out = append(out, r)
		}
	}
	return out
}

// proxySessionIDs returns the session id of every proxy_execute request the
// fake received, oldest first.
func proxySessionIDs(fake *composiotest.Server) []string {
	var out []string
	for _, r := range fake.Requests() {
		if rest, ok := strings.CutSuffix(r.Path, "/proxy_execute"); ok {
			out = append(out, rest[strings.LastIndex(rest, "/")+1:])
		}
	}
	return out
}

var getGitHubUser = map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}

func TestSessionCreatedAtStart(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, stderr := stdioClient(t, ctx, userEnv(fake.URL, "alice"), "--toolkits", "github,gmail")

	created := sessionCreations(fake)
	if len(created) != 1 {
		t.Fatalf("%d session creations at start, want 1", len(created))
	}
	if got := string(created[0].Body); got != `{"user_id":"alice","toolkits":{"enable":["github","gmail"]}}` {
		t.Errorf("creation body = %s", got)
	}
	if res := mustCall(t, ctx, c, "proxy_execute", getGitHubUser); res.IsError {
		t.Fatalf("call: %s", resultText(res))
	}
	ids := proxySessionIDs(fake)
	if len(ids) != 1 || ids[0] == composiotest.SessionID || !strings.HasPrefix(ids[0], "trs_") {
		t.Fatalf("proxy calls went to sessions %v", ids)
	}
	if !strings.Contains(stderr.String(), "created tool-router session") || !strings.Contains(stderr.String(), ids[0]) {
		t.Errorf("stderr does not log the created session %s:\n%s", ids[0], stderr.String())
	}
	if len(sessionCreations(fake)) != 1 {
		t.Error("a call created another session")
	}
}

// Twenty calls in flight when the session expires all succeed, and share one
// re-creation.
func TestExpiredSessionIsRecreatedOnceForConcurrentCalls(t *testing.T) {
	t.Parallel()
	// The latency keeps all twenty calls in flight together.
	fake := composiotest.NewServer(composiotest.WithAPIKey(secretKey), composiotest.WithLatency(300*time.Millisecond))
	t.Cleanup(fake.Close)
	ctx := testContext(t, 30*time.Second)
	c, stderr := stdioClient(t, ctx, userEnv(fake.URL, "alice"))
	if res := mustCall(t, ctx, c, "proxy_execute", getGitHubUser); res.IsError {
		t.Fatal(resultText(res))
	}
	first := proxySessionIDs(fake)[0]
	fake.ExpireSession(first)

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			res, err := callNamed(ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET",
				"parameters": []any{map[string]any{"name": "i", "value": fmt.Sprint(i), "type": "query"}}})
			switch {
			case err != nil:
				errs <- err.Error()
			case res.IsError || !strings.Contains(resultText(res), fmt.Sprintf(`"i":"%d"`, i)):
				errs <- resultText(res)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := len(sessionCreations(fake)); got != 2 {
		t.Errorf("%d session creations (1 at start + re-creations), want 2: 20 expiries must share one", got)
	}
	var old, fresh int
	for _, id := range proxySessionIDs(fake)[1:] {
		if id == first {
			old++
		} else {
			fresh++
		}
	}
	if old > n || fresh != n {
		t.Errorf("%d calls to the expired session and %d to the new one, want at most %d and exactly %d", old, fresh, n, n)
	}
	if !strings.Contains(stderr.String(), "expired; created a new one") {
		t.Errorf("renewal not logged:\n%s", stderr.String())
	}
}

func TestExpiredSessionWithoutUserSaysHowToFix(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL))
	fake.ExpireSession(composiotest.SessionID)
	res := mustCall(t, ctx, c, "proxy_execute", getGitHubUser)
	if !res.IsError || !strings.Contains(resultText(res), "ToolRouterV2_SessionNotFound") || !strings.Contains(resultText(res), "COMPOSIO_USER_ID") {
		t.Errorf("result: %s", resultText(res))
	}
	if n := len(sessionCreations(fake)); n != 0 {
		t.Errorf("%d sessions created without a user id", n)
	}
}

func TestCompanionToolsEndToEnd(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL))

	res := mustCall(t, ctx, c, "list_toolkits", nil)
	txt := resultText(res)
	for _, w := range []string{"4 toolkit(s)", "- github (GitHub): connected", "- gmail (Gmail): connected", "- slack (Slack): not connected", "call connect_toolkit"} {
		if !strings.Contains(txt, w) {
			t.Errorf("list_toolkits lacks %q:\n%s", w, txt)
		}
	}
	res = mustCall(t, ctx, c, "list_toolkits", map[string]any{"connected": false})
	var listed struct {
		Toolkits []struct {
			Slug      string `json:"slug"`
			Connected bool   `json:"connected"`
		} `json:"toolkits"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &listed); err != nil || len(listed.Toolkits) != 2 || listed.Toolkits[0].Slug != "slack" {
		t.Errorf("connected=false: %s", b)
	}

	// The NoActiveConnection error points at connect_toolkit.
	slack := map[string]any{"toolkit_slug": "slack", "endpoint": "/auth.test", "method": "POST"}
	res = mustCall(t, ctx, c, "proxy_execute", slack)
	if !res.IsError || !strings.Contains(resultText(res), `Call connect_toolkit with {"toolkit": "slack"}`) {
		t.Errorf("NoActiveConnection hint: %s", resultText(res))
	}

	// This client declares no URL elicitation, so the link is in the result.
	res = mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "slack"})
	var link struct {
		RedirectURL string `json:"redirect_url"`
		Elicitation string `json:"elicitation"`
	}
	b, _ = json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &link); err != nil || res.IsError || link.Elicitation != "unsupported" ||
		!strings.HasPrefix(link.RedirectURL, fake.URL+"/link/") || !strings.Contains(resultText(res), link.RedirectURL) {
		t.Fatalf("connect_toolkit: %s", resultText(res))
	}
	openLink(t, link.RedirectURL) // the user opens it
	if res := mustCall(t, ctx, c, "proxy_execute", slack); res.IsError {
		t.Errorf("slack after connecting: %s", resultText(res))
	}
}

func openLink(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("opening %s: %s", u, resp.Status)
	}
}

func TestToolsFlagNamesTheSet(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL), "--tools", "proxy_execute")
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil || len(list.Tools) != 1 || list.Tools[0].Name != "proxy_execute" {
		t.Fatalf("tools = %+v, %v", list, err)
	}
	// Without connect_toolkit the hint does not name it.
	res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/x", "method": "GET"})
	if strings.Contains(resultText(res), "connect_toolkit") || !strings.Contains(resultText(res), "connect their slack account") {
		t.Errorf("hint: %s", resultText(res))
	}
}

// urlElicitor plays a client that supports URL-mode elicitation and a user
// who accepts and opens the link in a browser.
type urlElicitor struct {
	t   *testing.T
	mu  sync.Mutex
	got []mcp.ElicitationParams
}

func (e *urlElicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	e.got = append(e.got, req.Params)
	e.mu.Unlock()
	resp, err := http.Get(req.Params.URL)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}

func TestConnectToolkitAsksForURLElicitation(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	el := &urlElicitor{t: t}
	c, _, _ := launch{env: serverEnv(fake.URL)}.stdioClient(t, mcpclient.WithElicitationHandler(el))
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = "2025-11-25"
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e-elicit", Version: "0"}
	init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{URL: &struct{}{}}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	res := mustCall(t, ctx, c, "connect_toolkit", map[string]any{"toolkit": "slack"})
	if res.IsError || !strings.Contains(resultText(res), `"elicitation":"accepted"`) {
		t.Fatalf("connect_toolkit: %s", resultText(res))
	}
	el.mu.Lock()
	if len(el.got) != 1 || el.got[0].Mode != mcp.ElicitationModeURL || !strings.HasPrefix(el.got[0].URL, fake.URL+"/link/") || el.got[0].ElicitationID == "" {
		t.Errorf("elicitation requests: %+v", el.got)
	}
	el.mu.Unlock()
	if res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/auth.test", "method": "POST"}); res.IsError {
		t.Errorf("slack after the user opened the link: %s", resultText(res))
	}
}

func TestPrintConfigEndToEnd(t *testing.T) {
	t.Parallel()
	// Run through a symlink: the printed path must be the resolved binary.
	link := filepath.Join(t.TempDir(), "cpm-link")
	if err := os.Symlink(binPath, link); err != nil {
		t.Fatal(err)
	}
	want, err := filepath.EvalSymlinks(binPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, client := range []string{"claude-desktop", "cursor", "vscode", "claude-code"} {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := launch{prog: link, args: []string{"print-config", client, "--toolkits", "gmail"},
				env: []string{"COMPOSIO_API_KEY=" + secretKey, "COMPOSIO_USER_ID=alice"}, clean: true}.run(t, "")
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			if strings.Contains(out+stderr, secretKey) {
				t.Fatal("the real API key was printed")
			}
			doc := out
			if client == "claude-code" {
				const prefix = "claude mcp add-json --scope user composio '"
				if !strings.HasPrefix(out, prefix) || !strings.HasSuffix(out, "'\n") {
					t.Fatalf("command: %s", out)
				}
				doc = strings.TrimSuffix(strings.TrimPrefix(out, prefix), "'\n")
			}
			var cfg struct {
				MCPServers map[string]serverEntry `json:"mcpServers"`
				Servers    map[string]serverEntry `json:"servers"`
				Inputs     []struct {
					ID       string `json:"id"`
					Password bool   `json:"password"`
				} `json:"inputs"`
				serverEntry
			}
			if err := json.Unmarshal([]byte(doc), &cfg); err != nil {
				t.Fatalf("not valid JSON: %v\n%s", err, doc)
			}
			entry := cfg.serverEntry
			switch client {
			case "claude-desktop", "cursor":
				entry = cfg.MCPServers["composio"]
			case "vscode":
				entry = cfg.Servers["composio"]
				if len(cfg.Inputs) != 1 || !cfg.Inputs[0].Password || entry.Env["COMPOSIO_API_KEY"] != "${input:"+cfg.Inputs[0].ID+"}" {
					t.Errorf("vscode key input: %+v %v", cfg.Inputs, entry.Env)
				}
			}
			if !filepath.IsAbs(entry.Command) || entry.Command != want {
				t.Errorf("command = %q, want the absolute path %q", entry.Command, want)
			}
			if strings.Join(entry.Args, " ") != "--toolkits gmail" || entry.Env["COMPOSIO_USER_ID"] != "alice" {
				t.Errorf("args %v env %v", entry.Args, entry.Env)
			}
			if client != "vscode" && !strings.HasPrefix(entry.Env["COMPOSIO_API_KEY"], "<") {
				t.Errorf("key placeholder: %q", entry.Env["COMPOSIO_API_KEY"])
			}
		})
	}
}

type serverEntry struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

func TestDoctorEndToEnd(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	expired := backend(t)
	expired.ExpireSession(composiotest.SessionID)
	tests := []struct {
		name   string
		env    []string
		ok     bool
		want   []string
		absent []string
	}{
		{"good", append(serverEnv(fake.URL), "COMPOSIO_USER_ID="+composiotest.UserID), true,
			[]string{"ok    COMPOSIO_API_KEY is set (ak_…", "accepted the key", "session trs_sandbox found", "connected: github, gmail", "warn  not connected yet: slack", "connect_toolkit", "No problems found."}, nil},
		{"user only", userEnv(fake.URL, "alice"), true,
			[]string{"a session for user \"alice\" can be created", "connected: github"}, nil},
		{"expired but renewable", append(serverEnv(expired.URL), "COMPOSIO_USER_ID=alice"), true,
			[]string{"not found (expired); the server replaces it"}, nil},
		{"wrong key", []string{"COMPOSIO_API_KEY=ak_wrong_key_123", "COMPOSIO_USER_ID=alice", "COMPOSIO_BASE_URL=" + fake.URL}, false,
			[]string{"FAIL  Composio at " + fake.URL + " rejected the key", "fix: set COMPOSIO_API_KEY", "1 problem(s) found"}, []string{"ak_wrong_key_123"}},
		{"nothing set", nil, false,
			[]string{"FAIL  no Composio API key", "FAIL  neither a user id nor a session id", "2 problem(s) found"}, nil},
		{"expired, no user", serverEnv(expired.URL), false,
			[]string{"FAIL  session trs_sandbox not found", "fix: set COMPOSIO_USER_ID"}, nil},
		{"unreachable", userEnv("http://127.0.0.1:9", "alice"), false,
			[]string{"FAIL  could not reach Composio", "fix: check the network"}, nil},
		{"unknown toolkit", userEnv(fake.URL, "alice"), false,
			[]string{"FAIL  Composio refused to create a session", "Toolkit 'nope' not found", "\n      Suggested fix: ", "\n      - toolkits.enable[0]: unknown toolkit 'nope'"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"doctor"}
			if tt.name == "unknown toolkit" {
				args = append(args, "--toolkits", "nope")
			}
			out, errOut, code := runBinary(t, tt.env, args...)
			if (code == 0) != tt.ok {
				t.Errorf("exit code %d, want ok=%v\n%s%s", code, tt.ok, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
			for _, a := range append(tt.absent, secretKey) {
				if strings.Contains(out+errOut, a) {
					t.Errorf("report shows the secret %q", a)
				}
			}
			if !tt.ok && !strings.Contains(errOut, "doctor found") {
				t.Errorf("stderr: %s", errOut)
			}
		})
	}
}

// TestDoctorDeletesItsCheckSession: a session doctor creates only to check
// is deleted again, so that running doctor leaves nothing behind.
func TestDoctorDeletesItsCheckSession(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	out, errOut, code := runBinary(t, userEnv(fake.URL, "alice"), "doctor")
	if code != 0 {
		t.Fatalf("doctor: exit %d\n%s%s", code, out, errOut)
	}
	var created, deleted int
	for _, r := range fake.Requests() {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/tool_router/session"):
			created++
		case r.Method == "DELETE" && strings.Contains(r.Path, "/tool_router/session/"):
			deleted++
		}
	}
	if created != 1 || deleted != 1 {
		t.Errorf("doctor created %d and deleted %d sessions, want 1 and 1", created, deleted)
	}
}

func TestAuditLogEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 30*time.Second)
	c, path := auditedStdio(t, ctx)
	calls := []struct {
		tool    string
		args    map[string]any
		outcome string
	}{
		{"proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user?token=QUERY_SECRET", "method": "POST", "body": map[string]any{"note": "BODY_SECRET"}}, "ok"},
		{"proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/status/404", "method": "GET"}, "upstream_error"},
		{"proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/x", "method": "GET"}, "composio_error"},
		{"proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/x", "method": "FETCH"}, "rejected"},
		{"list_toolkits", nil, "ok"},
		{"connect_toolkit", map[string]any{"toolkit": "slack"}, "ok"},
	}
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Go(func() { mustCall(t, ctx, c, call.tool, call.args) })
	}
	wg.Wait()
	c.Close()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{secretKey, "QUERY_SECRET", "BODY_SECRET"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the audit log holds %q:\n%s", secret, raw)
		}
	}
	type entry struct {
		Time       time.Time `json:"time"`
		RequestID  string    `json:"request_id"`
		Tool       string    `json:"tool"`
		Toolkit    string    `json:"toolkit"`
		Method     string    `json:"method"`
		Endpoint   string    `json:"endpoint"`
		Status     int       `json:"status"`
		Attempts   *int      `json:"attempts"`
		DurationMS *float64  `json:"duration_ms"`
		Bytes      *int      `json:"bytes"`
		Outcome    string    `json:"outcome"`
	}
	byOutcome := map[string][]entry{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	lines := 0
	for sc.Scan() {
		lines++
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not JSON: %s", lines, sc.Text())
		}
		if e.Time.IsZero() || e.Tool == "" || e.Attempts == nil || e.DurationMS == nil || e.Bytes == nil {
			t.Errorf("incomplete entry: %s", sc.Text())
		}
		byOutcome[e.Tool+"/"+e.Outcome] = append(byOutcome[e.Tool+"/"+e.Outcome], e)
	}
	if lines != len(calls) {
		t.Fatalf("%d audit lines for %d calls:\n%s", lines, len(calls), raw)
	}
	for _, call := range calls {
		if len(byOutcome[call.tool+"/"+call.outcome]) == 0 {
			t.Errorf("no %s entry with outcome %s:\n%s", call.tool, call.outcome, raw)
		}
	}
	for _, e := range byOutcome["proxy_execute/ok"] {
		if e.Endpoint != "/user" || e.Toolkit != "github" || e.Method != "POST" || e.Status != 201 || *e.Attempts != 1 || *e.Bytes == 0 || !strings.HasPrefix(e.RequestID, "req_") {
			t.Errorf("ok entry: %+v", e)
		}
	}
	for _, e := range byOutcome["proxy_execute/composio_error"] {
		if e.Status != 400 || e.Toolkit != "slack" {
			t.Errorf("composio_error entry: %+v", e)
		}
	}
	for _, e := range byOutcome["proxy_execute/rejected"] {
		if *e.Attempts != 0 || e.Method != "FETCH" {
			t.Errorf("rejected entry: %+v", e)
		}
	}
}

// Two tenants share one multi-tenant HTTP server: each call reaches Composio
// with its own caller's key and session only.
func TestMultiTenantHTTP(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		testMultiTenant(t, tr)
	})
}

func testMultiTenant(t *testing.T, tr string) {
	const keyA, keyB = "ak_tenant_A_SECRET_000000", "uak_tenant_B_SECRET_00000"
	fake := composiotest.NewServer(composiotest.WithAPIKey(keyA), composiotest.WithUserAPIKey(keyB))
	t.Cleanup(fake.Close)
	addr, p := startHTTP(t, []string{"COMPOSIO_API_KEY=", "COMPOSIO_USER_API_KEY=", "COMPOSIO_SESSION_ID=", "COMPOSIO_USER_ID=", "COMPOSIO_BASE_URL=" + fake.URL},
		"--transport", tr, "--multi-tenant", "--log-level", "debug")
	ctx := testContext(t, 30*time.Second)
	connect := func(headers map[string]string) *mcpclient.Client { return connectHTTP(t, ctx, tr, addr, headers) }
	a := connect(map[string]string{"X-Composio-Api-Key": keyA, "X-Composio-User-Id": "alice"})
	b := connect(map[string]string{"X-Composio-User-Api-Key": keyB, "X-Composio-Session-Id": composiotest.SessionID})
	nobody := connect(nil)

	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		for tenant, c := range map[string]*mcpclient.Client{"a": a, "b": b} {
			wg.Go(func() {
				res, err := callNamed(ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET",
					"parameters": []any{map[string]any{"name": "tenant", "value": tenant, "type": "query"}, map[string]any{"name": "i", "value": fmt.Sprint(i), "type": "query"}}})
				if err != nil || res.IsError || !strings.Contains(resultText(res), `"tenant":"`+tenant+`"`) {
					t.Errorf("tenant %s call %d: %v %s", tenant, i, err, resultText(res))
				}
			})
		}
	}
	wg.Wait()

	// alice (tenant a) has no gmail account; the sandbox user (tenant b) has.
	gmail := map[string]any{"toolkit_slug": "gmail", "endpoint": "/gmail/v1/users/me/profile", "method": "GET"}
	if res := mustCall(t, ctx, a, "proxy_execute", gmail); !res.IsError || !strings.Contains(resultText(res), "NoActiveConnection") {
		t.Errorf("tenant a gmail: %s", resultText(res))
	}
	if res := mustCall(t, ctx, b, "proxy_execute", gmail); res.IsError {
		t.Errorf("tenant b gmail: %s", resultText(res))
	}
	res := mustCall(t, ctx, nobody, "list_toolkits", nil)
	if !res.IsError || !strings.Contains(resultText(res), "X-Composio-Api-Key") {
		t.Errorf("no credentials: %s", resultText(res))
	}

	// What Composio received: every request carries one tenant's key and
	// touches only that tenant's session and data.
	var aliceSession string
	creations := 0
	for _, r := range fake.Requests() {
		ak, uk := r.Header.Get("X-Api-Key"), r.Header.Get("X-User-Api-Key")
		body := string(r.Body)
		switch {
		case ak == keyA && uk == "":
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/tool_router/session") {
				creations++
				if !strings.Contains(body, `"user_id":"alice"`) {
					t.Errorf("tenant a created a session for %s", body)
				}
				continue
			}
			if strings.Contains(r.Path, composiotest.SessionID) || strings.Contains(body, `"value":"b"`) {
				t.Errorf("tenant a's key reached tenant b's session or call: %s %s", r.Path, body)
			}
			id := strings.Split(strings.TrimPrefix(r.Path, "/api/v3/tool_router/session/"), "/")[0]
			if aliceSession == "" {
				aliceSession = id
			} else if id != aliceSession {
				t.Errorf("tenant a used sessions %s and %s", aliceSession, id)
			}
		case uk == keyB && ak == "":
			if !strings.Contains(r.Path, "/session/"+composiotest.SessionID+"/") || strings.Contains(body, `"value":"a"`) {
				t.Errorf("tenant b's key reached %s %s", r.Path, body)
			}
		default:
			t.Errorf("request with mixed or unknown credentials: %s %s", r.Method, r.Path)
		}
	}
	if creations != 1 {
		t.Errorf("%d sessions created for alice, want 1", creations)
	}
	if log := p.stderr.String(); strings.Contains(log, keyA) || strings.Contains(log, keyB) {
		t.Errorf("a tenant key is in the server's log:\n%s", log)
	}

	if tr != "http" {
		return
	}
	// Stateless: the server hands out no MCP session.
	req, _ := http.NewRequest("POST", "http://"+addr+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"s","version":"0"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("initialize: %s, Mcp-Session-Id %q", resp.Status, resp.Header.Get("Mcp-Session-Id"))
	}
}

func TestOperatorStartupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"multi-tenant on stdio", []string{"COMPOSIO_BASE_URL=http://127.0.0.1:9"}, []string{"--multi-tenant"}, "--multi-tenant needs --transport http"},
		{"multi-tenant with a key", serverEnv("http://127.0.0.1:9"), []string{"--multi-tenant", "--transport", "http"}, "unset COMPOSIO_API_KEY"},
		{"multi-tenant with uploads", []string{"COMPOSIO_BASE_URL=http://127.0.0.1:9"}, []string{"--multi-tenant", "--transport", "http", "--upload-root", "."}, "remote callers would read files"},
		{"unknown tool", serverEnv("http://127.0.0.1:9"), []string{"--tools", "proxy_execute,nope"}, `unknown tool "nope"`},
		{"session creation fails at start", userEnv("http://127.0.0.1:9", "alice"), []string{"--max-retries", "0"}, "creating a tool-router session for user \"alice\""},
		{"audit log unwritable", serverEnv("http://127.0.0.1:9"), []string{"--audit-log", "/nonexistent/dir/audit.jsonl"}, "--audit-log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			if code == 0 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr, secretKey) {
				t.Error("the key is on stderr")
			}
		})
	}
}
