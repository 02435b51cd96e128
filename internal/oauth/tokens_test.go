package oauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// refused is the WWW-Authenticate of a call with token, which must be
// refused with 401.
func (f *fixture) refused(t *testing.T, name, token string) string {
	t.Helper()
	w := f.call("Bearer " + token)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("%s: %d %s, want 401", name, w.Code, w.Body)
	}
	return w.Header().Get("WWW-Authenticate")
}

// The user claim names the user as it is: ids that differ in spaces are not
// one user, and what is not a plain id is refused, naming the claim.
func TestUserClaimTakenAsIs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	if w := f.call("Bearer " + f.iss.Token(f.iss.Claims("alice", audience))); w.Body.String() != "user=alice" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for name, tc := range map[string]struct{ sub, want string }{
		"padded":  {" alice", "sub claim begins or ends with a space"},
		"tab":     {"alice\t", "sub claim holds a control character"},
		"newline": {"al\nice", "sub claim holds a control character"},
		"long":    {strings.Repeat("a", 257), "sub claim is over 256 bytes"},
	} {
		if ch := f.refused(t, name, f.iss.Token(f.iss.Claims(tc.sub, audience))); !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, tc.want) {
			t.Errorf("%s: %q", name, ch)
		}
	}
	if w := f.call("Bearer " + f.iss.Token(f.iss.Claims(strings.Repeat("a", 256), audience))); w.Code != 200 {
		t.Errorf("256 bytes: %d", w.Code)
	}
}

// An email names the user only once the provider verified it.
func TestEmailClaimNeedsVerified(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{UserClaim: "email"})
	for name, v := range map[string]any{"absent": nil, "false": false, "a string": "true"} {
		c := f.iss.Claims("alice", audience)
		c["email"] = "alice@example.test"
		if v != nil {
			c["email_verified"] = v
		}
		if ch := f.refused(t, name, f.iss.Token(c)); !strings.Contains(ch, "email claim is not verified") {
			t.Errorf("%s: %q", name, ch)
		}
	}
}

// An ID token is no access token: its typ header, or its nonce, says so.
func TestIDTokensRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	c := f.iss.Claims("alice", audience)
	for typ, ok := range map[string]bool{"": true, "JWT": true, "jwt": true, "at+JWT": true, "application/at+jwt": true, "id_token+jwt": false, "logout+jwt": false, "JOSE": false} {
		w := f.call("Bearer " + f.iss.Key().SignTyped(typ, c))
		if got := w.Code == 200; got != ok {
			t.Errorf("typ %q: %d %s", typ, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		if !ok && !strings.Contains(w.Header().Get("WWW-Authenticate"), "not an access token") {
			t.Errorf("typ %q: %s", typ, w.Header().Get("WWW-Authenticate"))
		}
	}
	c["nonce"] = "n-1"
	if ch := f.refused(t, "nonce", f.iss.Key().SignTyped("JWT", c)); !strings.Contains(ch, "nonce claim: it is an ID token") {
		t.Errorf("nonce: %q", ch)
	}
}

// A token without exp is told so, not called expired.
func TestNoExpSaysSo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	c := f.iss.Claims("alice", audience)
	delete(c, "exp")
	if ch := f.refused(t, "no exp", f.iss.Token(c)); !strings.Contains(ch, `error_description="the token has no exp"`) {
		t.Errorf("%q", ch)
	}
}

// Without a resource URL, a request's Host names the resource only when it
// is loopback; any other (a forged header, DNS rebinding) gets the listen
// address, in the challenge and in the metadata alike.
func TestForgedHostNotReflected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{Listen: "127.0.0.1:8080"})
	meta := f.rs.Routes()["GET /.well-known/oauth-protected-resource/mcp"]
	for host, want := range map[string]string{
		"attacker.example":   "http://127.0.0.1:8080",
		"attacker.example:1": "http://127.0.0.1:8080",
		"localhost:9000":     "http://localhost:9000",
		"[::1]:9000":         "http://[::1]:9000",
	} {
		r := httptest.NewRequest(http.MethodPost, "http://x/mcp", strings.NewReader("{}"))
		r.Host = host
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if ch := w.Header().Get("WWW-Authenticate"); ch != `Bearer resource_metadata="`+want+`/.well-known/oauth-protected-resource/mcp"` {
			t.Errorf("%s: challenge %q", host, ch)
		}
		r = httptest.NewRequest(http.MethodGet, "http://x/.well-known/oauth-protected-resource/mcp", nil)
		r.Host = host
		w = httptest.NewRecorder()
		meta.ServeHTTP(w, r)
		if !strings.Contains(w.Body.String(), `"resource":"`+want+`/mcp"`) {
			t.Errorf("%s: metadata %s", host, w.Body)
		}
	}
}
