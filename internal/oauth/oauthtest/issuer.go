// Package oauthtest runs an OpenID Connect issuer on loopback for tests: its
// discovery document and its keys (JWKS), RSA keys made in the test, and
// access tokens signed with them. The keys can be rotated while it runs.
package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a signing key and its key id.
type Key struct {
	ID      string
	private *rsa.PrivateKey
}

// NewKey makes a 2048-bit RSA key with the key id given.
func NewKey(id string) *Key {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // the system's random source failed
	}
	return &Key{ID: id, private: k}
}

// Issuer is an OIDC issuer on an httptest server on 127.0.0.1.
type Issuer struct {
	// URL is the issuer URL, http://127.0.0.1:port, no trailing slash.
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	key     *Key // the one key published and used by Token
	fetches atomic.Int64
}

// NewIssuer starts an issuer publishing one new key; Close stops it.
func NewIssuer() *Issuer {
	i := &Issuer{key: NewKey("key-1")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET /jwks", i.serveKeys)
	// The URL is known before the first request can read it.
	i.srv = httptest.NewUnstartedServer(mux)
	i.URL = "http://" + i.srv.Listener.Addr().String()
	i.srv.Start()
	return i
}

// Close stops the issuer.
func (i *Issuer) Close() { i.srv.Close() }

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"jwks_uri":                              i.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (i *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	i.fetches.Add(1)
	i.mu.Lock()
	k := i.key
	i.mu.Unlock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.private.PublicKey, KeyID: k.ID, Algorithm: "RS256", Use: "sig"}}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// KeyFetches is how many times the keys have been fetched.
func (i *Issuer) KeyFetches() int { return int(i.fetches.Load()) }

// Rotate replaces the published key with a new one, which Token then signs
// with; it returns the new key.
func (i *Issuer) Rotate(id string) *Key {
	k := NewKey(id)
	i.mu.Lock()
	i.key = k
	i.mu.Unlock()
	return k
}

// Claims are the claims of a token valid for an hour: this issuer, sub and
// aud as given; the caller may change or delete any.
func (i *Issuer) Claims(sub, aud string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.URL, "sub": sub, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Token is claims signed with the published key.
func (i *Issuer) Token(claims map[string]any) string { return i.Key().Sign(claims) }

// Key is the published key.
func (i *Issuer) Key() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.key
}

// Sign is claims as an access token signed with k (RS256, its key id in the
// header, typ at+jwt).
func (k *Key) Sign(claims map[string]any) string { return k.SignTyped("at+jwt", claims) }

// SignTyped is claims as a JWT signed with k whose typ header is typ, or
// which has none when typ is "".
func (k *Key) SignTyped(typ string, claims map[string]any) string {
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.private, KeyID: k.ID}}, opts)
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(maps.Clone(claims))
	if err != nil {
		panic(fmt.Sprintf("oauthtest: claims: %v", err))
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}
