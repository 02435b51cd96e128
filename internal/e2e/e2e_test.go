package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// The end-to-end tests drive the built binary, as an MCP client would, against
// the fake Composio backend over real HTTP on loopback.

// exerciseTool runs the scenarios every transport must get right.
func exerciseTool(t *testing.T, ctx context.Context, c *mcpclient.Client, fake *composiotest.Server) {
	t.Helper()
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
		schema, _ := json.Marshal(tool.InputSchema)
		if !strings.Contains(string(schema), `"type":"object"`) {
			t.Errorf("%s: input schema root: %s", tool.Name, schema)
		}
	}
	// By default the companion tools are served beside proxy_execute;
	// tools/list sorts them by name.
	if strings.Join(names, ",") != "connect_toolkit,list_toolkits,proxy_execute,query_result" {
		t.Fatalf("tools = %v", names)
	}

	cases := []struct {
		name    string
		args    map[string]any
		isError bool
		want    []string
	}{
		{"json data", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "get",
			"parameters": []any{map[string]any{"name": "per_page", "value": "5", "type": "query"}}},
			false, []string{"HTTP 200", `"endpoint":"/user"`, `"per_page":"5"`}},
		{"post body", map[string]any{"toolkit_slug": "github", "endpoint": "/user/repos", "method": "POST", "body": map[string]any{"name": "demo"}},
			false, []string{"HTTP 201", `"body":{"name":"demo"}`}},
		{"upstream 404", map[string]any{"toolkit_slug": "github", "endpoint": "/status/404", "method": "GET"},
			true, []string{"HTTP 404", "relative to the github account's base URL"}},
		{"no connection", map[string]any{"toolkit_slug": "slack", "endpoint": "/conversations.list", "method": "GET"},
			true, []string{"ToolRouterV2_NoActiveConnection", "connect their slack account", "Request ID: req_"}},
		{"bad method", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "FETCH"},
			true, []string{"nothing was sent", "method:"}},
		{"html 502", map[string]any{"toolkit_slug": "github", "endpoint": "/html502", "method": "GET"},
			true, []string{"HTTP 502"}},
		{"binary", map[string]any{"toolkit_slug": "gmail", "endpoint": "/download/report.pdf", "method": "GET"},
			false, []string{"application/pdf", "Download link", "expires at"}},
	}
	for _, tc := range cases {
		res, err := callTool(ctx, c, tc.args)
		if err != nil {
			t.Errorf("%s: tools/call: %v", tc.name, err)
			continue
		}
		txt := resultText(res)
		if res.IsError != tc.isError {
			t.Errorf("%s: isError=%v, want %v:\n%s", tc.name, res.IsError, tc.isError, txt)
		}
		for _, w := range tc.want {
			if !strings.Contains(txt, w) {
				t.Errorf("%s: text lacks %q:\n%s", tc.name, w, txt)
			}
		}
		if strings.Contains(txt, secretKey) {
			t.Errorf("%s: the API key is in a tool result", tc.name)
		}
		if tc.name == "binary" {
			var link *mcp.ResourceLink
			for _, c := range res.Content {
				if l, ok := c.(mcp.ResourceLink); ok {
					link = &l
				}
			}
			if link == nil || !strings.HasPrefix(link.URI, fake.URL+"/files/report.pdf") || link.MIMEType != "application/pdf" || link.Size == nil {
				t.Errorf("binary: resource link = %+v", link)
			}
		}
		if !tc.isError && tc.name == "json data" {
			var sc struct {
				Status int `json:"status"`
			}
			b, _ := json.Marshal(res.StructuredContent)
			if json.Unmarshal(b, &sc) != nil || sc.Status != 200 {
				t.Errorf("structuredContent = %s", b)
			}
		}
	}

	// What reached Composio: the key in x-api-key only, the arguments as given.
	var sawProxy bool
	for _, r := range fake.Requests() {
		if !strings.HasSuffix(r.Path, "/proxy_execute") {
			continue
		}
		sawProxy = true
		if r.Header.Get("x-api-key") != secretKey || r.Header.Get("x-user-api-key") != "" {
			t.Errorf("auth headers: %v", r.Header)
		}
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "composio-proxy-mcp/") || r.Header.Get("Accept") != "application/json" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", r.Header)
		}
		if bytes.Contains(r.Body, []byte("FETCH")) {
			t.Errorf("invalid arguments reached Composio: %s", r.Body)
		}
	}
	if !sawProxy {
		t.Error("no proxy_execute request reached the fake backend")
	}
}

func TestStdioEndToEnd(t *testing.T) {
	t.Parallel()
	// Clients today speak 2025-11-25; mcp-go also serves the stateless
	// 2026-07-28 revision on the same connection.
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			fake := backend(t)
			c, _, stderr := launch{args: []string{"--log-level", "debug"}, env: serverEnv(fake.URL)}.stdioClient(t)
			ctx := testContext(t, 30*time.Second)
			initializeVersion(t, ctx, c, version)
			exerciseTool(t, ctx, c, fake)
			c.Close()
			if strings.Contains(stderr.String(), secretKey) {
				t.Errorf("the API key is on stderr:\n%s", stderr.String())
			}
			if !strings.Contains(stderr.String(), "proxy_execute") || !strings.Contains(stderr.String(), "status=404") {
				t.Errorf("stderr lacks per-call log lines:\n%s", stderr.String())
			}
		})
	}
}

const (
	initLine  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`
	initdLine = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
)

func TestStdioCarriesOnlyJSONRPCAndNoSecret(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	out, errOut, err := rawSession(t, serverEnv(fake.URL), []string{"--log-level", "debug"},
		initLine, initdLine,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/user","method":"GET"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"slack","endpoint":"/x","method":"GET"}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/x","method":"FETCH"}}}`,
		`not json at all`,
		`{"jsonrpc":"2.0","id":6,"method":"no/such/method"}`,
		`{"jsonrpc":"2.0","id":7,"method":"ping"}`,
	)
	if err != nil {
		t.Fatalf("exit on EOF: %v; stderr:\n%s", err, errOut)
	}
	ids := map[float64]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var msg struct {
			JSONRPC string   `json:"jsonrpc"`
			ID      *float64 `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line is not JSON-RPC: %q", sc.Text())
			continue
		}
		if msg.ID != nil {
			ids[*msg.ID] = true
		}
	}
	for _, id := range []float64{1, 2, 3, 4, 5, 6, 7} {
		if !ids[id] {
			t.Errorf("no response with id %v; stdout:\n%s", id, out)
		}
	}
	if strings.Contains(out+errOut, secretKey) {
		t.Errorf("the API key appeared on stdout or stderr")
	}
}

func TestHTTPTransportsEndToEnd(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"sse", "http"}, func(t *testing.T, tr string) {
		addr, p, fake := backedHTTP(t, tr, "--log-level", "debug")
		ctx := testContext(t, 30*time.Second)
		c := connectHTTP(t, ctx, tr, addr, nil)
		exerciseTool(t, ctx, c, fake)
		if strings.Contains(p.stderr.String(), secretKey) {
			t.Errorf("the API key is on stderr")
		}
	})
}

func TestHTTPGuards(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	addr, _ := startHTTP(t, serverEnv(fake.URL), "--transport", "http")
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"g","version":"0"}}}`
	post := func(header map[string]string, body string) *http.Response {
		t.Helper()
		resp, _ := exchange(t, http.DefaultClient, "POST", "http://"+addr+"/mcp", header, body)
		return resp
	}
	tests := []struct {
		name   string
		header map[string]string
		body   string
		want   int
	}{
		{"no origin", nil, body, 200},
		{"localhost origin", map[string]string{"Origin": "http://localhost:3000"}, body, 200},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, body, 403},
		{"rebound host", map[string]string{"Host": "evil.example:80"}, body, 403},
		{"made-up session", map[string]string{"Mcp-Session-Id": "mcp-session-00000000-0000-0000-0000-000000000000"}, `{"jsonrpc":"2.0","id":2,"method":"ping"}`, 404},
		{"body too large", nil, `{"x":"` + strings.Repeat("a", 9<<20) + `"}`, 413},
	}
	for _, tt := range tests {
		if got := post(tt.header, tt.body).StatusCode; got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestConcurrentCallsOnOneStdioConnection(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 60*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL))
	const n = 64
	const delay = 1500 * time.Millisecond
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": fmt.Sprintf("/delay/%d", delay.Milliseconds()), "method": "GET",
				"parameters": []any{map[string]any{"name": "i", "value": fmt.Sprint(i), "type": "query"}}})
			switch {
			case err != nil:
				errs <- err.Error()
			case res.IsError:
				errs <- resultText(res)
			case !strings.Contains(resultText(res), fmt.Sprintf(`"i":"%d"`, i)):
				errs <- "result for another call: " + resultText(res)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Run one after another, 64 calls would take 64 × 1.5 s; all in flight at
	// once they take one delay plus overhead. The bound leaves room for a
	// loaded machine while still failing if calls queue behind each other.
	if elapsed := time.Since(start); elapsed > 6*delay {
		t.Errorf("64 concurrent calls took %s; they did not run concurrently", elapsed)
	}
}

func TestCancellationAbortsUpstreamRequest(t *testing.T) {
	t.Parallel()
	aborted := make(chan struct{}, 1)
	arrived := make(chan struct{}, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			aborted <- struct{}{}
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(upstream.Close)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(upstream.URL))
	callCtx, cancelCall := context.WithCancel(ctx)
	go func() {
		<-arrived
		cancelCall() // the client sends notifications/cancelled
	}()
	if _, err := callTool(callCtx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/slow", "method": "GET"}); err == nil {
		t.Error("cancelled call returned a result")
	}
	select {
	case <-aborted:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not aborted after notifications/cancelled")
	}
	// The connection still serves requests.
	if _, err := c.ListTools(ctx, mcp.ListToolsRequest{}); err != nil {
		t.Errorf("tools/list after cancellation: %v", err)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(upstream.Close)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, serverEnv(upstream.URL), "--timeout", "300ms")
	res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(resultText(res), "within 300ms") {
		t.Errorf("timeout result: %v %s", res.IsError, resultText(res))
	}
}

func TestSignalsShutDownCleanly(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	inParallel(t, []string{"stdio", "http", "sse"}, func(t *testing.T, tr string) {
		var p *proc
		if tr == "stdio" {
			p = launch{env: serverEnv(fake.URL)}.start(t, io.Discard)
			time.Sleep(300 * time.Millisecond)
		} else {
			_, p = startHTTP(t, serverEnv(fake.URL), "--transport", tr)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.waitExit(t, time.Now(), 15*time.Second)
		if p.err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", p.err, p.stderr.String())
		}
	})
}

func TestStartupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no key", []string{"COMPOSIO_SESSION_ID=trs_x"}, nil, "COMPOSIO_API_KEY"},
		{"no session", []string{"COMPOSIO_API_KEY=" + secretKey}, nil, "COMPOSIO_SESSION_ID"},
		{"bad transport", serverEnv("http://127.0.0.1:9"), []string{"--transport", "ws"}, "--transport"},
		{"bare port", serverEnv("http://127.0.0.1:9"), []string{"--transport", "http", "--listen", ":8080"}, "binds every interface; name a host"},
		{"public without token", serverEnv("http://127.0.0.1:9"), []string{"--transport", "http", "--listen", "0.0.0.0:0"}, "COMPOSIO_MCP_AUTH_TOKEN"},
		{"bad env value", append(serverEnv("http://127.0.0.1:9"), "COMPOSIO_MCP_TIMEOUT=soon"), nil, "COMPOSIO_MCP_TIMEOUT"},
		{"positional secret", serverEnv("http://127.0.0.1:9"), []string{secretKey}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			if code == 0 {
				t.Fatalf("exit 0, want an error; stderr:\n%s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout carried %q", stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("want one line on stderr, got:\n%s", stderr)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := launch{args: []string{"--help"}}.run(t, "")
	if err != nil {
		t.Errorf("--help: %v", err)
	}
	if stdout != "" || !strings.Contains(stderr, "-transport") {
		t.Errorf("--help wrote stdout %q, stderr %q", stdout, stderr)
	}
}

// TestSandboxIgnoresRealSessionSettings: an exported session id meant for the
// real Composio must not break the sandbox.
func TestSandboxIgnoresRealSessionSettings(t *testing.T) {
	t.Parallel()
	out, errOut, err := rawSession(t, []string{"COMPOSIO_SESSION_ID=trs_real_one", "COMPOSIO_USER_ID=someone"}, []string{"--sandbox"},
		initLine, initdLine,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/user","method":"GET"}}}`)
	if err != nil || !strings.Contains(out, "HTTP 200 OK") {
		t.Errorf("sandbox call with a real session exported: %v\n%s\n%s", err, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, _, err := launch{args: []string{"--version"}}.run(t, "")
	if err != nil || !strings.HasPrefix(out, "composio-proxy-mcp ") {
		t.Errorf("--version = %q, %v", out, err)
	}
}
