package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// refetchInterval is the least time between two fetches of the issuer's
// keys for tokens naming a key id the server does not know.
const refetchInterval = time.Minute

// maxJWKSBytes caps the issuer's key set document.
const maxJWKSBytes = 1 << 20

// errUnknownKey refuses a token whose key id the issuer's keys do not hold.
var errUnknownKey = errors.New("no key of the issuer has the token's key id")

// keySet is the issuer's keys (an oidc.KeySet), cached. It fetches them
// again only for a token naming a key id it does not hold, as a rotation at
// the issuer makes, and at most once per interval: a forged token, whether
// its key id is known (a bad signature) or made up, never makes more than
// that many requests to the identity provider.
type keySet struct {
	url      string
	client   *http.Client
	interval time.Duration

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	next     time.Time     // the earliest time of the next refetch
	fetching chan struct{} // closed when the fetch in flight ends; nil when none
}

// newKeySet fetches the keys at url once, within ctx.
func newKeySet(ctx context.Context, url string, client *http.Client, interval time.Duration) (*keySet, error) {
	k := &keySet{url: url, client: client, interval: interval}
	keys, err := k.fetch(ctx)
	if err != nil {
		return nil, err
	}
	k.keys = keys
	return k, nil
}

// VerifySignature implements oidc.KeySet: the payload of jwt, when it is
// signed by one of the issuer's keys.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, signingAlgorithms())
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.lookup(ctx, kid)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if p, err := jws.Verify(&key); err == nil {
			return p, nil
		}
	}
	return nil, errors.New("the signature does not verify")
}

// lookup is the keys a token with key id kid may be signed with (all of
// them when it names none), fetching the keys again when none has it and
// the interval allows.
func (k *keySet) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	if m := matching(k.keys, kid); len(m) > 0 {
		k.mu.Unlock()
		return m, nil
	}
	if ch := k.fetching; ch != nil {
		// A fetch is on its way: its keys may hold the key id.
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return k.cached(kid)
	}
	if time.Now().Before(k.next) {
		k.mu.Unlock()
		return nil, errUnknownKey
	}
	k.next = time.Now().Add(k.interval)
	ch := make(chan struct{})
	k.fetching = ch
	k.mu.Unlock()

	// The fetch is not the request's: a client that hangs up does not waste
	// the refetch the interval allows.
	keys, err := k.fetch(context.WithoutCancel(ctx))
	k.mu.Lock()
	if err == nil {
		k.keys = keys
	}
	k.fetching = nil
	close(ch)
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return k.cached(kid)
}

func (k *keySet) cached(kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if m := matching(k.keys, kid); len(m) > 0 {
		return m, nil
	}
	return nil, errUnknownKey
}

// matching is the keys of id kid, or all keys when kid is empty.
func matching(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	var out []jose.JSONWebKey
	for _, key := range keys {
		if key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out
}

// fetch reads the key set document, within keyFetchTimeout.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, keyFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the keys: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("fetching the keys: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the keys: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("the keys (%s) are not a JWK set: %w", k.url, err)
	}
	return set.Keys, nil
}

// signingAlgorithms is signingAlgs as go-jose names them.
func signingAlgorithms() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(signingAlgs))
	for i, a := range signingAlgs {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}
