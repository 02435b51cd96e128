package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keys is the issuer's key set, noting in the context of each check whether
// the signature verified and the payload it signed. go-oidc's verifier
// reports a failed check as text only; the note lets a refusal say which
// check failed without parsing that text or an unverified token.
type keys struct{ remote *oidc.RemoteKeySet }

// sigNote is what keys noted about one token's signature.
type sigNote struct {
	failed  bool
	payload []byte // the verified payload; nil until the signature verifies
}

type sigNoteKey struct{}

// VerifySignature implements oidc.KeySet.
func (k *keys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	p, err := k.remote.VerifySignature(ctx, jwt)
	if n, ok := ctx.Value(sigNoteKey{}).(*sigNote); ok {
		n.failed, n.payload = err != nil, p
	}
	return p, err
}

// identity is what a valid token says: the user and the scopes granted.
type identity struct {
	user   string
	scopes []string
}

// verify checks raw and returns who it names. Its error is a description of
// what was wrong, fit for error_description: it never holds the token.
func (rs *ResourceServer) verify(ctx context.Context, raw string) (identity, error) {
	note := &sigNote{}
	tok, err := rs.verifier.Verify(context.WithValue(ctx, sigNoteKey{}, note), raw)
	if err != nil {
		return identity{}, rs.describe(err, note)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return identity{}, errors.New("the token's claims are not a JSON object")
	}
	user, _ := claims[rs.cfg.UserClaim].(string)
	if user = strings.TrimSpace(user); user == "" {
		return identity{}, errors.New("the token has no " + quotable(rs.cfg.UserClaim) + " claim (a non-empty string) naming the user")
	}
	return identity{user: user, scopes: scopesOf(claims)}, nil
}

// describe says which check a token failed.
func (rs *ResourceServer) describe(err error, note *sigNote) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return errors.New("the token expired")
	case note.failed:
		return errors.New("the token's signature does not verify with the issuer's keys (an unknown key id, or a bad signature)")
	case note.payload == nil:
		return errors.New("the token is not a JWT signed with an asymmetric algorithm (RS256, ES256, …)")
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
	}
	_ = json.Unmarshal(note.payload, &c)
	switch {
	case c.Issuer != rs.cfg.Issuer:
		return errors.New("the token was not issued by " + quotable(rs.cfg.Issuer))
	case !slices.Contains(audiences(c.Audience), rs.cfg.Audience):
		return errors.New("the token's audience does not include " + quotable(rs.cfg.Audience))
	case strings.Contains(err.Error(), "nbf"):
		return errors.New("the token is not valid yet (nbf)")
	}
	return errors.New("the token's claims are invalid")
}

// audiences reads an aud claim: a string or an array of strings.
func audiences(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// scopesOf reads the scopes a token grants: its space-separated scope claim
// (RFC 9068), or an scp claim, an array or a string, as some providers send.
func scopesOf(claims map[string]any) []string {
	var out []string
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			out = append(out, strings.Fields(v)...)
		case []any:
			for _, s := range v {
				if s, ok := s.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// quotable is s fit for a quoted-string of a WWW-Authenticate header: no
// quote, backslash or control character.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
