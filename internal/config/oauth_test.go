package config

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth/oauthtest"
)

// The sign-in flags: what goes together, and each refusal naming the flag
// and what to do.
func TestOAuthFlags(t *testing.T) {
	t.Parallel()
	on := []string{"--transport", "http", "--oauth-issuer", "https://idp.example.com", "--oauth-audience", "mcp"}
	key := map[string]string{"COMPOSIO_API_KEY": "ak_x"}
	for _, tc := range []struct {
		args    []string
		env     map[string]string
		wantErr string
	}{
		{args: on, env: key},
		{args: append(on, "--listen", "0.0.0.0:8080", "--oauth-resource-url", "https://mcp.example.com/mcp", "--oauth-required-scope", "mcp:tools", "--oauth-user-claim", "email"), env: key},
		{args: append(on, "--listen", "0.0.0.0:8080"), env: key, wantErr: "--listen 0.0.0.0:8080 is not a loopback address: set --oauth-resource-url"},
		{args: append(on, "--listen", "[::1]:8080"), env: key},
		{args: append(on, "--sandbox")},
		{args: []string{"--oauth-audience", "mcp"}, env: key, wantErr: "--oauth-audience needs --oauth-issuer"},
		{args: on[:4], env: key, wantErr: "--oauth-issuer needs --oauth-audience"},
		{args: append(on, "--transport", "stdio"), env: key, wantErr: "--oauth-issuer needs --transport http"},
		{args: append(on, "--oauth-issuer", "http://idp.example.com"), env: key, wantErr: "plain http is allowed on a loopback address only"},
		{args: append(on, "--oauth-issuer", "http://127.0.0.1:9000"), env: key},
		{args: append(on, "--multi-tenant"), wantErr: "--oauth-issuer and --multi-tenant do not go together"},
		{args: on, env: map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_MCP_AUTH_TOKEN": "t"}, wantErr: "one way to authenticate"},
		{args: on, env: map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}, wantErr: "unset the session id and user id"},
		{args: append(on, "--session-id", "trs_1"), env: key, wantErr: "unset the session id and user id"},
		{args: on, wantErr: "set COMPOSIO_API_KEY"},
		{args: on, env: map[string]string{"COMPOSIO_USER_API_KEY": "uak_x"}, wantErr: "needs COMPOSIO_API_KEY, the project key"},
		{args: append(on, "--oauth-user-claim", " "), env: key, wantErr: "--oauth-user-claim is empty"},
		{args: append(on, "--oauth-required-scope", "a b"), env: key, wantErr: "--oauth-required-scope"},
		{args: append(on, "--oauth-resource-url", "mcp.example.com"), env: key, wantErr: "--oauth-resource-url"},
	} {
		c, err := Parse(tc.args, env(tc.env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%v %v: %v, want %q", tc.args, tc.env, err, tc.wantErr)
		}
	}
}

// With sign-in the HTTP options hold the token check, the metadata routes
// and the context func, and streamable HTTP runs stateless; the results and
// rate limit are per caller.
func TestOAuthHTTPOptions(t *testing.T) {
	t.Parallel()
	iss := oauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	c, err := Parse([]string{"--transport", "http", "--oauth-issuer", iss.URL, "--oauth-audience", "mcp"}, env(map[string]string{"COMPOSIO_API_KEY": "ak_x"}), io.Discard)
	if err != nil || c.Validate() != nil {
		t.Fatal(err, c.Validate())
	}
	o, err := c.HTTPOptions(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Auth == nil || o.ContextFunc == nil || !o.Stateless || len(o.Routes) != 2 || !c.ManyCallers() {
		t.Errorf("options %+v", o)
	}
	w := httptest.NewRecorder()
	o.Auth(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/mcp", nil))
	if w.Code != 401 {
		t.Errorf("no token: %d", w.Code)
	}

	iss.Close()
	if _, err := c.HTTPOptions(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "--oauth-issuer") {
		t.Errorf("an issuer that is gone: %v", err)
	}
}
