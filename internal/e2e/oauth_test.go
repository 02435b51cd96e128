package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth/oauthtest"
)

const signInAudience = "https://mcp.e2e.test/mcp"

// signedInServer is the binary on streamable HTTP with sign-in against a
// test issuer, holding secretKey for the fake Composio.
type signedInServer struct {
	addr string
	tr   string
	p    *proc
	iss  *oauthtest.Issuer
	fake *composiotest.Server
}

func startSignedIn(t *testing.T, tr string, args ...string) *signedInServer {
	t.Helper()
	iss := oauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	fake := backend(t)
	env := []string{"COMPOSIO_API_KEY=" + secretKey, "COMPOSIO_BASE_URL=" + fake.URL,
		"COMPOSIO_USER_API_KEY=", "COMPOSIO_SESSION_ID=", "COMPOSIO_USER_ID=", "COMPOSIO_MCP_AUTH_TOKEN="}
	addr, p := startHTTP(t, env, append([]string{"--transport", tr, "--log-level", "debug",
		"--oauth-issuer", iss.URL, "--oauth-audience", signInAudience}, args...)...)
	return &signedInServer{addr: addr, tr: tr, p: p, iss: iss, fake: fake}
}

// token is an access token for user.
func (s *signedInServer) token(user string) string {
	return s.iss.Token(s.iss.Claims(user, signInAudience))
}

// client is an initialized MCP client sending token.
func (s *signedInServer) client(t *testing.T, token string) *mcpclient.Client {
	t.Helper()
	ctx := testContext(t, 30*time.Second)
	c := startHTTPClient(t, ctx, s.tr, s.addr, map[string]string{"Authorization": "Bearer " + token}, nil)
	initialize(t, ctx, c)
	return c
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`

// A request without a token, or with a bad one, is refused with a challenge
// that leads to the metadata, which both well-known URLs serve.
func TestSignInChallengeAndMetadata(t *testing.T) {
	t.Parallel()
	s := startSignedIn(t, "http")
	hc := &http.Client{Timeout: 10 * time.Second}
	metaURL := "http://" + s.addr + "/.well-known/oauth-protected-resource/mcp"

	resp, _ := exchange(t, hc, http.MethodPost, "http://"+s.addr+"/mcp", nil, initializeBody)
	t.Logf("POST /mcp without a token: %s\nWWW-Authenticate: %s", resp.Status, resp.Header.Get("WWW-Authenticate"))
	if want := `Bearer resource_metadata="` + metaURL + `"`; resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("no token: %s %q, want 401 %q", resp.Status, resp.Header.Get("WWW-Authenticate"), want)
	}
	expired := s.iss.Claims("alice", signInAudience)
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	bad := s.iss.Token(expired)
	resp, _ = exchange(t, hc, http.MethodPost, "http://"+s.addr+"/mcp", map[string]string{"Authorization": "Bearer " + bad}, initializeBody)
	ch := resp.Header.Get("WWW-Authenticate")
	t.Logf("POST /mcp with an expired token: %s\nWWW-Authenticate: %s", resp.Status, ch)
	if resp.StatusCode != 401 || !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "expired") || !strings.Contains(ch, metaURL) {
		t.Errorf("expired token: %s %q", resp.Status, ch)
	}

	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		resp, body := exchange(t, hc, http.MethodGet, "http://"+s.addr+path, nil, "")
		t.Logf("GET %s: %s %s", path, resp.Status, body)
		var m struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			BearerMethods        []string `json:"bearer_methods_supported"`
		}
		if err := json.Unmarshal([]byte(body), &m); err != nil || resp.StatusCode != 200 ||
			m.Resource != "http://"+s.addr+"/mcp" || !slices.Equal(m.AuthorizationServers, []string{s.iss.URL}) || !slices.Equal(m.BearerMethods, []string{"header"}) {
			t.Errorf("%s: %s %s", path, resp.Status, body)
		}
	}
	// The metadata goes through the Origin check like the MCP endpoint.
	resp, _ = exchange(t, hc, http.MethodGet, metaURL, map[string]string{"Origin": "https://evil.example"}, "")
	if resp.StatusCode != 403 {
		t.Errorf("metadata for a foreign origin: %s", resp.Status)
	}
	if strings.Contains(s.p.stderr.String(), bad) {
		t.Error("the token is in the server's log")
	}
}

// Two people sign in: each call runs in a session created for their own
// user id with the server's key, and a result kept for one is not readable
// by the other. On both HTTP transports.
func TestSignInSessionsAndResultsPerUser(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) { testSessionsAndResultsPerUser(t, tr) })
}

func testSessionsAndResultsPerUser(t *testing.T, tr string) {
	s := startSignedIn(t, tr, "--max-result-bytes", "4096")
	ctx := testContext(t, 30*time.Second)
	tokA, tokB := s.token("alice@e2e.test"), s.token("bob@e2e.test")
	a, b := s.client(t, tokA), s.client(t, tokB)
	for _, c := range []*mcpclient.Client{a, b, a, b} {
		res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
		if res.IsError {
			t.Fatalf("call: %.600s", resultText(res))
		}
	}
	var users []string
	for _, r := range s.fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/tool_router/session") {
			var body struct {
				UserID string `json:"user_id"`
			}
			_ = json.Unmarshal(r.Body, &body)
			users = append(users, body.UserID)
			if r.Header.Get("X-Api-Key") != secretKey {
				t.Error("a session was not created with the server's key")
			}
		}
	}
	slices.Sort(users)
	if !slices.Equal(users, []string{"alice@e2e.test", "bob@e2e.test"}) {
		t.Errorf("sessions created for %q, want one for each person", users)
	}

	res := mustCall(t, ctx, a, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/60000", "method": "GET"})
	i := slices.IndexFunc(res.Content, func(c mcp.Content) bool { _, ok := c.(mcp.ResourceLink); return ok })
	if res.IsError || i < 0 {
		t.Fatalf("no kept result: %.600s", resultText(res))
	}
	uri := res.Content[i].(mcp.ResourceLink).URI
	read := func(c *mcpclient.Client) error {
		_, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
		return err
	}
	if err := read(b); err == nil {
		t.Error("bob read alice's result")
	}
	if q := mustCall(t, ctx, b, "query_result", map[string]any{"result": uri}); !q.IsError {
		t.Errorf("bob queried alice's result: %.300s", resultText(q))
	}
	if q := mustCall(t, ctx, a, "query_result", map[string]any{"result": uri}); q.IsError {
		t.Errorf("alice cannot query her result: %.300s", resultText(q))
	}
	if err := read(s.client(t, tokA)); err != nil {
		t.Errorf("alice cannot read her result from a new connection: %v", err)
	}
	if log := s.p.stderr.String(); strings.Contains(log, tokA) || strings.Contains(log, tokB) {
		t.Error("a token is in the server's log")
	}
}

// An issuer that cannot be discovered stops the server at start, naming the
// flag.
func TestSignInUndiscoverableIssuer(t *testing.T) {
	t.Parallel()
	iss := oauthtest.NewIssuer()
	url := iss.URL
	iss.Close()
	_, stderr, code := runBinary(t, []string{"COMPOSIO_API_KEY=" + secretKey}, "--transport", "http", "--listen", freeAddr(t),
		"--oauth-issuer", url, "--oauth-audience", signInAudience)
	if code == 0 || !strings.Contains(stderr, "--oauth-issuer "+url+": OIDC discovery") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
