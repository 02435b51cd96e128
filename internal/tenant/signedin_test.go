package tenant

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

var _ tools.Tenants = (*SignedIn)(nil)

// Each signed-in user gets a session of their own, created with the
// server's key for their user id; the server's user and session ids are not
// used.
func TestSignedInSessionPerUser(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	s := NewSignedIn([]client.Option{client.WithBaseURL(fake.URL), client.WithAPIKey(composiotest.APIKey)},
		session.Config{UserID: "server-user", SessionID: "trs_server", Toolkits: []string{"github"}})
	created := func(user string) (string, tools.Sessions) {
		t.Helper()
		tn, err := s.Tenant(oauth.WithUser(context.Background(), user), nil)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		if err := tn.Sessions.Run(context.Background(), func(sid string) error { id = sid; return nil }); err != nil {
			t.Fatal(err)
		}
		last, ok := fake.LastSessionCreation()
		var body struct {
			UserID string `json:"user_id"`
		}
		if !ok || json.Unmarshal(last.Body, &body) != nil || body.UserID != user {
			t.Fatalf("session for %s created with %s", user, last.Body)
		}
		return id, tn.Sessions
	}
	idA, mA := created("alice")
	idB, _ := created("bob")
	if idA == idB || idA == "trs_server" {
		t.Errorf("alice's session %s, bob's %s", idA, idB)
	}
	again, err := s.Tenant(oauth.WithUser(context.Background(), "alice"), nil)
	if err != nil || again.Sessions != mA {
		t.Errorf("alice's second call got another session manager: %v", err)
	}
}

func TestSignedInNeedsUser(t *testing.T) {
	t.Parallel()
	s := NewSignedIn([]client.Option{client.WithAPIKey("ak_x")}, session.Config{})
	_, err := s.Tenant(context.Background(), header(headerUserID, "mallory"))
	if err == nil || !strings.Contains(err.Error(), "needs sign-in") {
		t.Errorf("a call without a signed-in user: %v", err)
	}
}

// With sign-in, the rate-limit bucket and the results' owner are the
// signed-in user, hashed, whatever headers the request carries.
func TestSignedInIdentity(t *testing.T) {
	t.Parallel()
	alice := oauth.WithUser(context.Background(), "alice")
	var req mcp.CallToolRequest
	req.Header = header(headerAPIKey, keyA, headerUserID, "bob")
	rl, owner := RateLimitKey(true, ""), ResultOwner(true)
	a := rl(alice, req)
	if a == "" || strings.Contains(a, "alice") || a == rl(context.Background(), req) || a == rl(oauth.WithUser(context.Background(), "bob"), req) {
		t.Errorf("rate-limit key %q", a)
	}
	var plain mcp.CallToolRequest
	if rl(alice, plain) != a {
		t.Error("headers changed a signed-in user's bucket")
	}
	o := owner(alice, req.Header)
	if o == "" || strings.Contains(o, "alice") || o != owner(alice, nil) || o == owner(oauth.WithUser(context.Background(), "bob"), nil) || o == callerIdentity(req.Header) {
		t.Errorf("owner %q", o)
	}
}
