package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// keys is the issuer's key set, noting in the context of each check whether
// the signature verified and the payload it signed. go-oidc's verifier
// reports a failed check as text only; the note lets a refusal say which
// check failed without parsing that text or an unverified token.
type keys struct{ remote oidc.KeySet }

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
	if err := accessTokenType(raw); err != nil {
		return identity{}, err
	}
	note := &sigNote{}
	tok, err := rs.verifier.Verify(context.WithValue(ctx, sigNoteKey{}, note), raw)
	if err != nil {
		return identity{}, rs.describe(err, note)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return identity{}, errors.New("the token's claims are not a JSON object")
	}
	if _, ok := claims["nonce"]; ok {
		// An ID token carries the nonce of its sign-in; an access token
		// does not. An ID token is for the client, never for a resource.
		return identity{}, errors.New("the token has a nonce claim: it is an ID token, not an access token")
	}
	user, err := userOf(claims, rs.cfg.UserClaim)
	if err != nil {
		return identity{}, err
	}
	return identity{user: user, scopes: scopesOf(claims)}, nil
}

// maxUserBytes caps the user id a claim may name.
const maxUserBytes = 256

// userOf is the user id the claim names, as it is: two ids that differ only
// in spaces are not made one. An email names the user only once the
// provider has verified it.
func userOf(claims map[string]any, claim string) (string, error) {
	user, _ := claims[claim].(string)
	name := quotable(claim)
	switch {
	case user == "":
		return "", errors.New("the token has no " + name + " claim (a non-empty string) naming the user")
	case len(user) > maxUserBytes:
		return "", fmt.Errorf("the token's %s claim is over %d bytes", name, maxUserBytes)
	case strings.ContainsFunc(user, unicode.IsControl):
		return "", errors.New("the token's " + name + " claim holds a control character")
	case strings.TrimSpace(user) != user:
		return "", errors.New("the token's " + name + " claim begins or ends with a space")
	case claim == "email" && claims["email_verified"] != true:
		return "", errors.New("the token's email claim is not verified (email_verified is not true)")
	}
	return user, nil
}

// accessTokenTypes are the JOSE typ headers an access token may have (RFC
// 9068 §2.1, and the plain JWT many providers send), lower case.
var accessTokenTypes = []string{"at+jwt", "application/at+jwt", "jwt"}

// accessTokenType refuses a token whose typ header says it is no access
// token (an ID token's, a logout token's); a token without one passes.
func accessTokenType(raw string) error {
	jws, err := jose.ParseSigned(raw, signingAlgorithms())
	if err != nil || len(jws.Signatures) != 1 {
		return nil // the verifier says what is wrong with it
	}
	typ, ok := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType]
	if !ok {
		return nil
	}
	if s, _ := typ.(string); !slices.Contains(accessTokenTypes, strings.ToLower(s)) {
		return errors.New("the token's typ header is " + quotable(fmt.Sprint(typ)) + ", not at+jwt: it is not an access token")
	}
	return nil
}

// describe says which check a token failed.
func (rs *ResourceServer) describe(err error, note *sigNote) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired) && expired.Expiry.IsZero():
		return errors.New("the token has no exp")
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
