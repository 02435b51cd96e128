package tenant

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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

// The log names a signed-in person's session by a hash of their user id,
// never the id (often their email): the log is the operator's, the id theirs.
func TestSignedInLogHidesTheUser(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	log := &syncBuffer{}
	s := NewSignedIn([]client.Option{client.WithBaseURL(fake.URL), client.WithAPIKey(composiotest.APIKey)},
		session.Config{Logger: slog.New(slog.NewTextHandler(log, nil))})
	tn, err := s.Tenant(oauth.WithUser(context.Background(), "alice@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Sessions.Run(context.Background(), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// The creation logs its line after it hands the id to its waiters.
	var text string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if text = log.String(); strings.Contains(text, "created tool-router session") {
			break
		}
	}
	if !strings.Contains(text, "created tool-router session") || !strings.Contains(text, "user_hash=") {
		t.Fatalf("no session line with a user hash:\n%s", text)
	}
	if strings.Contains(text, "alice") {
		t.Errorf("the log names the user:\n%s", text)
	}
}

// syncBuffer is a log sink safe to read while a goroutine writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
