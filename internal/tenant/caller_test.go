package tenant

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
)

// CallerID names the signed-in user, or else the credential alone, hashed;
// a server with one user binds nothing.
func TestCallerID(t *testing.T) {
	t.Parallel()
	if CallerID(false) != nil {
		t.Fatal("a server with one user has a CallerID")
	}
	id := CallerID(true)
	signedIn := func(user string) string {
		r := httptest.NewRequest("GET", "/sse", nil)
		return id(r.WithContext(oauth.WithUser(r.Context(), user)))
	}
	keyed := func(key, user string) string {
		r := httptest.NewRequest("GET", "/sse", nil)
		r.Header.Set(headerAPIKey, key)
		r.Header.Set(headerUserID, user)
		return id(r)
	}
	if signedIn("alice") == signedIn("bob") || signedIn("alice") != signedIn("alice") {
		t.Error("signed-in users are not told apart")
	}
	if keyed("ak_1", "u1") == keyed("ak_2", "u1") || keyed("ak_1", "u1") != keyed("ak_1", "u2") {
		t.Error("multi-tenant callers are not their credential")
	}
	if strings.Contains(keyed("ak_secret", "u1"), "ak_secret") || strings.Contains(signedIn("alice"), "alice") {
		t.Error("a caller id holds a credential or a user id in the clear")
	}
}
