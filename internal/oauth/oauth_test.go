package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth/oauthtest"
)

const audience = "https://mcp.example.test/mcp"

// fixture is a resource server for a test issuer, in front of a handler that
// answers with the signed-in user; log holds its log lines.
type fixture struct {
	iss *oauthtest.Issuer
	rs  *ResourceServer
	h   http.Handler
	log *bytes.Buffer
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	iss := oauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	var log bytes.Buffer
	cfg.Issuer, cfg.Audience, cfg.EndpointPath = iss.URL, audience, "/mcp"
	if cfg.Listen == "" {
		cfg.Listen = "mcp.example.test"
	}
	cfg.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rs, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the token reached the handler behind the check")
		}
		_, _ = io.WriteString(w, "user="+User(r.Context()))
	})
	return &fixture{iss: iss, rs: rs, h: rs.Middleware(inner), log: &log}
}

// call sends POST /mcp with the Authorization header given ("" for none).
func (f *fixture) call(auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://mcp.example.test/mcp", strings.NewReader("{}"))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

const metadataURL = "http://mcp.example.test/.well-known/oauth-protected-resource/mcp"

func TestValidTokenReachesHandlerWithUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	w := f.call("Bearer " + f.iss.Token(f.iss.Claims("alice", audience)))
	if w.Code != 200 || w.Body.String() != "user=alice" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// aud may be an array, and the scheme's case does not matter.
	c := f.iss.Claims("bob", audience)
	c["aud"] = []string{"other", audience}
	if w := f.call("bearer " + f.iss.Token(c)); w.Code != 200 || w.Body.String() != "user=bob" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// Every refused token gets 401, a challenge pointing to the metadata, and a
// description naming what was wrong; neither the answer nor the log holds
// the token.
func TestBadTokensRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{UserClaim: "email"})
	good := func() map[string]any {
		c := f.iss.Claims("alice", audience)
		c["email"], c["email_verified"] = "alice@example.test", true
		return c
	}
	with := func(name string, v any) string {
		c := good()
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
		return f.iss.Token(c)
	}
	stranger := oauthtest.NewKey("key-1") // the published key's id, another key
	unknown := oauthtest.NewKey("key-unknown")
	for name, tc := range map[string]struct{ token, want string }{
		"expired":        {with("exp", time.Now().Add(-time.Minute).Unix()), "the token expired"},
		"wrong audience": {with("aud", "https://elsewhere.test"), "audience does not include " + audience},
		"wrong issuer":   {with("iss", "https://idp.elsewhere.test"), "not issued by " + f.iss.URL},
		"unknown key id": {unknown.Sign(good()), "signature does not verify"},
		"bad signature":  {stranger.Sign(good()), "signature does not verify"},
		"missing claim":  {with("email", nil), `no email claim`},
		"empty claim":    {with("email", ""), `no email claim`},
		"spaced claim":   {with("email", " "), `email claim begins or ends with a space`},
		"non-string":     {with("email", 42), `no email claim`},
		"not a jwt":      {"not-a-jwt", "not a JWT"},
		"not yet valid":  {with("nbf", time.Now().Add(time.Hour).Unix()), "not valid yet"},
	} {
		w := f.call("Bearer " + tc.token)
		ch := w.Header().Get("WWW-Authenticate")
		if w.Code != 401 || !strings.HasPrefix(ch, `Bearer resource_metadata="`+metadataURL+`", error="invalid_token", error_description="`) || !strings.Contains(ch, tc.want) {
			t.Errorf("%s: %d %q", name, w.Code, ch)
		}
		if strings.Contains(ch+w.Body.String()+f.log.String(), tc.token) {
			t.Errorf("%s: the token was repeated", name)
		}
	}
	if !strings.Contains(f.log.String(), "refused an access token") {
		t.Errorf("no refusal logged: %s", f.log)
	}
	if w := f.call("Bearer " + f.iss.Token(good())); w.Code != 200 || w.Body.String() != "user=alice@example.test" {
		t.Errorf("the user claim: %d %s", w.Code, w.Body)
	}
}

// A request without a bearer token gets the bare challenge, with no error
// code (RFC 6750 §3.1).
func TestNoTokenGetsChallenge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	for _, auth := range []string{"", "Basic YWxpY2U6cHc=", "Bearer", "Bearer  ", "Bearer a b"} {
		w := f.call(auth)
		if ch := w.Header().Get("WWW-Authenticate"); w.Code != 401 || ch != `Bearer resource_metadata="`+metadataURL+`"` {
			t.Errorf("%q: %d %q", auth, w.Code, ch)
		}
		if w.Header().Get("Connection") != "close" {
			t.Errorf("%q: the connection is kept", auth)
		}
	}
}

// The issuer replaces its key: a token signed with the new one passes
// without a restart, the keys fetched once more.
func TestRotatedKeyFollowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	if w := f.call("Bearer " + f.iss.Token(f.iss.Claims("alice", audience))); w.Code != 200 {
		t.Fatalf("before the rotation: %d", w.Code)
	}
	before := f.iss.KeyFetches()
	f.iss.Rotate("key-2")
	if w := f.call("Bearer " + f.iss.Token(f.iss.Claims("alice", audience))); w.Code != 200 {
		t.Fatalf("after the rotation: %d %s", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if got := f.iss.KeyFetches(); got != before+1 {
		t.Errorf("keys fetched %d times for the rotation, want 1", got-before)
	}
}

func TestRequiredScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{RequiredScope: "mcp:tools"})
	withScope := func(name string, v any) string {
		c := f.iss.Claims("alice", audience)
		c[name] = v
		return "Bearer " + f.iss.Token(c)
	}
	for _, auth := range []string{withScope("scope", "openid mcp:tools"), withScope("scp", []string{"mcp:tools"})} {
		if w := f.call(auth); w.Code != 200 {
			t.Errorf("granted: %d %s", w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	w := f.call(withScope("scope", "openid mcp:tools:read"))
	want := `Bearer resource_metadata="` + metadataURL + `", error="insufficient_scope", error_description="the token does not grant the scope mcp:tools", scope="mcp:tools"`
	if ch := w.Header().Get("WWW-Authenticate"); w.Code != 403 || ch != want {
		t.Errorf("%d %q", w.Code, ch)
	}
	if ch := f.call("").Header().Get("WWW-Authenticate"); !strings.HasSuffix(ch, `, scope="mcp:tools"`) {
		t.Errorf("the challenge does not name the scope: %q", ch)
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{RequiredScope: "mcp:tools"})
	mux := http.NewServeMux()
	for p, h := range f.rs.Routes() {
		mux.Handle(p, h)
	}
	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://[::1]:8080"+path, nil))
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		want := `map[authorization_servers:[` + f.iss.URL + `] bearer_methods_supported:[header] resource:http://[::1]:8080/mcp scopes_supported:[mcp:tools]]`
		if got := fmt.Sprint(m); got != want {
			t.Errorf("%s:\n got %s\nwant %s", path, got, want)
		}
	}
}

// Behind a proxy the resource URL is the one configured, and so is the
// metadata URL a challenge gives.
func TestResourceURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{ResourceURL: "https://mcp.example.com/team/mcp"})
	if ch := f.call("").Header().Get("WWW-Authenticate"); ch != `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/team/mcp"` {
		t.Errorf("challenge %q", ch)
	}
	if _, ok := f.rs.Routes()["GET /.well-known/oauth-protected-resource/team/mcp"]; !ok {
		t.Errorf("routes %v", f.rs.Routes())
	}
}

func TestIssuerChecked(t *testing.T) {
	t.Parallel()
	for issuer, want := range map[string]string{
		"http://idp.example.com":       "want https",
		"idp.example.com":              "absolute https URL",
		"https://idp.example.com/?x=1": "no query",
	} {
		if _, err := New(context.Background(), Config{Issuer: issuer, Audience: audience}); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--oauth-issuer") {
			t.Errorf("%s: %v", issuer, err)
		}
	}
	for _, ok := range []string{"https://idp.example.com", "http://127.0.0.1:9999", "http://localhost:1/realms/x", "http://[::1]:2"} {
		if err := CheckIssuer(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// An issuer that cannot be discovered is an error at start naming the flag,
// within the discovery timeout.
func TestDiscoveryFailure(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	for name, url := range map[string]string{"slow": hang.URL, "no discovery": gone.URL} {
		_, err := New(context.Background(), Config{Issuer: url, Audience: audience, DiscoveryTimeout: 200 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "--oauth-issuer "+url+": OIDC discovery") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(context.Background(), Config{Issuer: gone.URL}); err == nil || !strings.Contains(err.Error(), "--oauth-audience") {
		t.Errorf("no audience: %v", err)
	}
}

func TestContextFunc(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	if got := User(ContextFunc(context.Background(), r)); got != "" {
		t.Errorf("a request without sign-in carries user %q", got)
	}
	r = r.WithContext(WithUser(r.Context(), "alice"))
	if got := User(ContextFunc(context.Background(), r)); got != "alice" {
		t.Errorf("user %q", got)
	}
}
