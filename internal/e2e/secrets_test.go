package e2e

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// The secrets tests run the end-to-end scenarios at --log-level debug with a
// distinctive value in each of the three secrets, and look for those values,
// whole or in part, everywhere the server writes: stdout, stderr, tool results
// and HTTP responses.

// secrets are one test's credentials: a fixed prefix and a random part.
type secrets struct {
	apiKey, userKey, token string
}

func newSecrets() secrets {
	return secrets{
		apiKey:  "ak_" + randomAlnum(28),
		userKey: "uak_" + randomAlnum(28),
		token:   "mcptok_" + randomAlnum(28),
	}
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// env is the server environment with all three secrets set; without the
// project key, the user key is the one in use.
func (s secrets) env(baseURL string, projectKey bool) []string {
	env := []string{
		"COMPOSIO_USER_API_KEY=" + s.userKey,
		"COMPOSIO_MCP_AUTH_TOKEN=" + s.token,
		"COMPOSIO_SESSION_ID=" + composiotest.SessionID,
		"COMPOSIO_BASE_URL=" + baseURL,
	}
	if projectKey {
		env = append(env, "COMPOSIO_API_KEY="+s.apiKey)
	}
	return env
}

// leakWindow is the length of the runs of a secret's random part looked for:
// long enough not to turn up by chance, short enough to catch a secret shown
// in part ("ak_ABCD…WXYZ1234").
const leakWindow = 8

// check reports any secret, or any leakWindow-long run of its random part,
// in text.
func (s secrets) check(t *testing.T, where, text string) {
	t.Helper()
	for name, secret := range map[string]string{"COMPOSIO_API_KEY": s.apiKey, "COMPOSIO_USER_API_KEY": s.userKey, "COMPOSIO_MCP_AUTH_TOKEN": s.token} {
		if i := strings.Index(text, secret); i >= 0 {
			t.Errorf("%s holds %s: …%s…", where, name, around(text, i))
			continue
		}
		random := secret[strings.IndexByte(secret, '_')+1:]
		for j := 0; j+leakWindow <= len(random); j++ {
			if i := strings.Index(text, random[j:j+leakWindow]); i >= 0 {
				t.Errorf("%s holds part of %s (%q): …%s…", where, name, random[j:j+leakWindow], around(text, i))
				break
			}
		}
	}
}

func around(text string, i int) string {
	return text[max(0, i-80):min(len(text), i+80)]
}

// secretsCall is one tools/call of a scenario and what its result must be.
type secretsCall struct {
	name    string
	args    string
	isError bool
	want    string // in the result text
}

// secretsCalls are the end-to-end scenarios against the fake backend.
var secretsCalls = []secretsCall{
	{"success", `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"per_page","value":"5","type":"query"},{"name":"X-Trace","value":"t1","type":"header"}]}`, false, "HTTP 200"},
	{"post body", `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"name":"demo"}}`, false, "HTTP 201"},
	{"upstream 404", `{"toolkit_slug":"github","endpoint":"/status/404","method":"GET"}`, true, "HTTP 404"},
	{"upstream 500", `{"toolkit_slug":"github","endpoint":"/status/500","method":"DELETE"}`, true, "HTTP 500"},
	{"composio 502", `{"toolkit_slug":"github","endpoint":"/html502","method":"GET"}`, true, "502"},
	{"no active connection", `{"toolkit_slug":"slack","endpoint":"/conversations.list","method":"GET"}`, true, "NoActiveConnection"},
	{"bad method", `{"toolkit_slug":"github","endpoint":"/user","method":"FETCH"}`, true, "nothing was sent"},
	{"missing fields", `{"endpoint":7}`, true, "nothing was sent"},
	{"binary", `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`, false, "Download link"},
	{"timeout", `{"toolkit_slug":"github","endpoint":"/delay/5000","method":"GET"}`, true, "1s"},
}

// runSecretsStdio runs calls over stdio against a server with env and checks
// every result and every byte of output for the secrets.
func runSecretsStdio(t *testing.T, s secrets, env []string, calls []secretsCall, args ...string) {
	t.Helper()
	p := startStdio(t, env, append([]string{"--log-level", "debug"}, args...)...)
	p.send(initLine, initdLine, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	var ids []string
	for i, c := range calls {
		p.send(toolCallLine(100+i, c.args))
		ids = append(ids, fmt.Sprint(100+i))
	}
	p.wait(30*time.Second, append(ids, "1", "2")...)
	for i, c := range calls {
		r := p.responses(ids[i])[0]
		tr, err := r.tool()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		txt := tr.text()
		if tr.IsError != c.isError || !strings.Contains(txt, c.want) {
			t.Errorf("%s: isError=%v, want %v and %q in:\n%s", c.name, tr.IsError, c.isError, c.want, txt)
		}
		s.check(t, c.name+" result", txt)
	}
	p.finish()
	s.check(t, "stdout", p.stdout.String())
	stderr := p.stderr.String()
	s.check(t, "stderr", stderr)
	if !strings.Contains(stderr, "DBG") && !strings.Contains(stderr, "INF") {
		t.Errorf("stderr has no log lines; is --log-level debug in effect?\n%s", stderr)
	}
}

// TestSecretsNeverLeakStdio runs the scenarios over stdio, with the project
// key and with the user key, and with keys Composio refuses.
func TestSecretsNeverLeakStdio(t *testing.T) {
	t.Parallel()
	s := newSecrets()
	t.Run("project key", func(t *testing.T) {
		t.Parallel()
		fake := composiotest.NewServer(composiotest.WithAPIKey(s.apiKey), composiotest.WithUserAPIKey(s.userKey))
		t.Cleanup(fake.Close)
		runSecretsStdio(t, s, s.env(fake.URL, true), secretsCalls, "--timeout", "1s")
		for _, r := range fake.Requests() {
			if got := r.Header.Get("X-Api-Key"); strings.HasSuffix(r.Path, "/proxy_execute") && got != s.apiKey {
				t.Errorf("x-api-key = %q", got)
			}
		}
	})
	t.Run("user key", func(t *testing.T) {
		t.Parallel()
		fake := composiotest.NewServer(composiotest.WithAPIKey("ak_not_this_one"), composiotest.WithUserAPIKey(s.userKey))
		t.Cleanup(fake.Close)
		runSecretsStdio(t, s, s.env(fake.URL, false), secretsCalls[:6], "--timeout", "1s")
	})
	unauthorized := []secretsCall{
		{"composio 401", `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`, true, "401"},
		{"composio 401 post", `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"a":1}}`, true, "401"},
	}
	t.Run("wrong project key", func(t *testing.T) {
		t.Parallel()
		fake := composiotest.NewServer(composiotest.WithAPIKey("ak_the_right_key_0000"))
		t.Cleanup(fake.Close)
		runSecretsStdio(t, s, s.env(fake.URL, true), unauthorized)
		if len(fake.Requests()) == 0 {
			t.Error("no request reached the fake")
		}
	})
	t.Run("wrong user key", func(t *testing.T) {
		t.Parallel()
		fake := composiotest.NewServer(composiotest.WithUserAPIKey("uak_the_right_key_0000"))
		t.Cleanup(fake.Close)
		runSecretsStdio(t, s, s.env(fake.URL, false), unauthorized)
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		closed := "http://" + freeAddr(t)
		runSecretsStdio(t, s, s.env(closed, true), []secretsCall{
			{"refused", `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`, true, ""},
		})
	})
}

// recordingTransport keeps every HTTP response the client receives: status,
// headers and body, as the client reads it.
type recordingTransport struct {
	base http.RoundTripper
	log  lockedBuffer
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&rt.log, "%s %s → %d\n", req.Method, req.URL.Path, resp.StatusCode)
	resp.Header.Write(&rt.log)
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, &rt.log), resp.Body}
	return resp, nil
}

// postWithAuth sends body to url with the given Authorization header (none if
// empty) and returns the response with its body read.
func postWithAuth(t *testing.T, url, auth, body string) (*http.Response, string) {
	t.Helper()
	var header map[string]string
	if auth != "" {
		header = map[string]string{"Authorization": auth}
	}
	return exchange(t, http.DefaultClient, "POST", url, header, body)
}

const initRequestBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// TestSecretsNeverLeakHTTP runs the scenarios over streamable HTTP with a
// bearer token: refused without it or with a wrong one, served with it, and
// no secret in any response, header or log line.
func TestSecretsNeverLeakHTTP(t *testing.T) {
	t.Parallel()
	s := newSecrets()
	fake := composiotest.NewServer(composiotest.WithAPIKey(s.apiKey), composiotest.WithUserAPIKey(s.userKey))
	t.Cleanup(fake.Close)
	addr, p := startHTTP(t, s.env(fake.URL, true), "--transport", "http", "--log-level", "debug", "--timeout", "1s")
	url := "http://" + addr + "/mcp"

	var raw strings.Builder
	for _, auth := range []string{"", "Bearer wrong_" + randomAlnum(20), "Bearer " + s.token[:len(s.token)-1], "Basic " + s.token} {
		resp, body := postWithAuth(t, url, auth, initRequestBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %.20q: status %d, want 401", auth, resp.StatusCode)
		}
		fmt.Fprintf(&raw, "%d %v %s\n", resp.StatusCode, resp.Header, body)
	}
	s.check(t, "401 responses", raw.String())

	ctx := testContext(t, 30*time.Second)

	// An MCP client with the wrong token gets nowhere.
	bad, err := newHTTPClient("http", addr, map[string]string{"Authorization": "Bearer nope"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ireq mcp.InitializeRequest
	ireq.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	ireq.Params.ClientInfo = mcp.Implementation{Name: "bad", Version: "0"}
	if _, err := bad.Initialize(ctx, ireq); err == nil {
		t.Error("initialize with a wrong token succeeded")
	}
	bad.Close()

	rec := &recordingTransport{base: &http.Transport{}}
	c, err := newHTTPClient("http", addr, map[string]string{"Authorization": "Bearer " + s.token}, &http.Client{Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	initialize(t, ctx, c)
	for _, sc := range secretsCalls {
		var req mcp.CallToolRequest
		req.Params.Name = "proxy_execute"
		req.Params.Arguments = rawArgs(sc.args)
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Errorf("%s: %v", sc.name, err)
			continue
		}
		txt := resultText(res)
		if res.IsError != sc.isError || !strings.Contains(txt, sc.want) {
			t.Errorf("%s: isError=%v, want %v and %q in:\n%s", sc.name, res.IsError, sc.isError, sc.want, txt)
		}
		s.check(t, sc.name+" result", txt)
	}
	c.Close()
	if !strings.Contains(rec.log.String(), "HTTP 200") {
		t.Errorf("the recorded responses lack the success call:\n%.2000s", rec.log.String())
	}
	s.check(t, "HTTP responses", rec.log.String())

	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitExit(t, time.Now(), 15*time.Second)
	s.check(t, "stderr", p.stderr.String())
	if !strings.Contains(p.stderr.String(), "proxy_execute") {
		t.Errorf("stderr lacks per-call log lines:\n%s", p.stderr.String())
	}
}

// rawArgs are tool arguments given as JSON text.
type rawArgs string

func (r rawArgs) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestBearerTokenProtectsHTTP: with COMPOSIO_MCP_AUTH_TOKEN set, both HTTP
// transports answer 401 with a WWW-Authenticate: Bearer challenge to a
// request without the token (or with a wrong one), and serve MCP clients that
// send it.
func TestBearerTokenProtectsHTTP(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		s := newSecrets()
		fake := composiotest.NewServer(composiotest.WithAPIKey(s.apiKey))
		t.Cleanup(fake.Close)
		addr, _ := startHTTP(t, s.env(fake.URL, true), "--transport", tr)
		path := "/mcp"
		if tr == "sse" {
			path = "/sse"
		}
		url := "http://" + addr + path
		challenge := func(auth string) {
			t.Helper()
			var resp *http.Response
			if tr == "sse" {
				req, _ := http.NewRequest("GET", url, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				var err error
				if resp, err = http.DefaultClient.Do(req); err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			} else {
				resp, _ = postWithAuth(t, url, auth, initRequestBody)
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("Authorization %.20q: status %d, want 401", auth, resp.StatusCode)
			}
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(strings.ToLower(h), "bearer") {
				t.Errorf("Authorization %.20q: WWW-Authenticate = %q, want a Bearer challenge", auth, h)
			}
		}
		challenge("")
		challenge("Bearer")
		challenge("Bearer ")
		challenge("Bearer " + strings.ToLower(s.token))
		challenge("Bearer " + s.token + "x")
		challenge("Token " + s.token)

		ctx := testContext(t, 30*time.Second)
		var wg sync.WaitGroup
		for _, scheme := range []string{"Bearer ", "bearer "} {
			wg.Go(func() {
				headers := map[string]string{"Authorization": scheme + s.token}
				c, err := newHTTPClient(tr, addr, headers, nil)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				if err := c.Start(ctx); err != nil {
					t.Errorf("%q: start: %v", scheme, err)
					return
				}
				var ireq mcp.InitializeRequest
				ireq.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
				ireq.Params.ClientInfo = mcp.Implementation{Name: "auth", Version: "0"}
				if _, err := c.Initialize(ctx, ireq); err != nil {
					t.Errorf("%q: initialize: %v", scheme, err)
					return
				}
				res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
				if err != nil || res.IsError {
					t.Errorf("%q: tools/call: %v %+v", scheme, err, res)
				}
			})
		}
		wg.Wait()
		// /healthz stays open: load balancers probe it without credentials.
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("/healthz: status %d", resp.StatusCode)
		}
	})
}
