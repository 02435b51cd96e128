package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth/oauthtest"
)

// A forged token naming a published key id (its signature bad) is refused
// from the cached keys: no stranger makes the server call the identity
// provider per request.
func TestForgedTokensDoNotFetchKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	before := f.iss.KeyFetches()
	forger := oauthtest.NewKey("key-1")
	for range 50 {
		f.refused(t, "forged", forger.Sign(f.iss.Claims("mallory", audience)))
	}
	if got := f.iss.KeyFetches() - before; got != 0 {
		t.Errorf("50 forged tokens made %d key fetches, want 0", got)
	}
}

// Tokens naming key ids nobody published fetch the keys again at most once
// per interval, and a token of the published key still passes meanwhile.
func TestUnknownKeyIDsFetchKeysOncePerInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{})
	before := f.iss.KeyFetches()
	made := []*oauthtest.Key{oauthtest.NewKey("made-up-1"), oauthtest.NewKey("made-up-2")}
	for i := range 50 {
		f.refused(t, "unknown key id", made[i%2].Sign(f.iss.Claims("mallory", audience)))
	}
	if got := f.iss.KeyFetches() - before; got != 1 {
		t.Errorf("50 tokens of unknown key ids made %d key fetches, want 1", got)
	}
	if w := f.call("Bearer " + f.iss.Token(f.iss.Claims("alice", audience))); w.Code != 200 {
		t.Errorf("the published key: %d", w.Code)
	}
}

// The keys' URL the discovery document gives follows the issuer's rule:
// https, or http on loopback only.
func TestJWKSURLChecked(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": "http://idp.example.test/jwks"})
	}))
	t.Cleanup(srv.Close)
	_, err := New(context.Background(), Config{Issuer: srv.URL, Audience: audience})
	if err == nil || !strings.Contains(err.Error(), "--oauth-issuer") || !strings.Contains(err.Error(), `jwks_uri "http://idp.example.test/jwks"`) || !strings.Contains(err.Error(), "want https") {
		t.Errorf("%v", err)
	}
}
