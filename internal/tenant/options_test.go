package tenant

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
)

// A caller's session option headers replace the server's in the sessions made
// for it, in the shape of the API version; the server's apply without them.
func TestResolverSessionOptionHeaders(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount("alice", "gmail", "ca_work", "ACTIVE")
	r := NewResolver([]client.Option{client.WithBaseURL(fake.URL), client.WithAPIVersion(client.APIv31)},
		session.Config{DisableToolkits: []string{"slack"}, AuthConfigs: map[string]string{"github": "ac_server"}})
	created := func(h map[string]string) string {
		t.Helper()
		hd := header("X-Composio-Api-Key", composiotest.APIKey, "X-Composio-User-Id", "alice")
		for k, v := range h {
			hd.Set(k, v)
		}
		tn, err := r.Tenant(context.Background(), hd)
		if err != nil {
			t.Fatal(err)
		}
		if err := tn.Sessions.Run(context.Background(), func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		last, _ := fake.LastSessionCreation()
		return string(last.Body)
	}
	if got, want := created(nil), `{"user_id":"alice","toolkits":{"disable":["slack"]},"auth_configs":{"github":"ac_server"}}`; got != want {
		t.Errorf("without headers: %s, want %s", got, want)
	}
	got := created(map[string]string{"X-Composio-Auth-Configs": "gmail=ac_mine", "X-Composio-Connected-Accounts": " gmail=ca_work "})
	if want := `{"user_id":"alice","toolkits":{"disable":["slack"]},"auth_configs":{"gmail":"ac_mine"},"connected_accounts":{"gmail":["ca_work"]}}`; got != want {
		t.Errorf("with headers: %s, want %s (the same user with other options needs a session of its own)", got, want)
	}
}

// A malformed option header is refused, naming the header and the form, and
// repeating no header value.
func TestResolverRefusesBadOptionHeaders(t *testing.T) {
	t.Parallel()
	r := NewResolver(nil, session.Config{})
	for name, v := range map[string]string{"X-Composio-Auth-Configs": "gmail", "X-Composio-Connected-Accounts": "gmail=ca_SECRETISH,gmail=ca_2"} {
		_, err := r.Tenant(context.Background(), header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice", name, v))
		if err == nil || !strings.Contains(err.Error(), "The "+name+" header is malformed") || !strings.Contains(err.Error(), "slug=id") ||
			strings.Contains(err.Error(), "ca_SECRETISH") || strings.Contains(err.Error(), keyA) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Spellings of the same options (spaces, slug case, order) share one session
// manager: the pool is keyed on what the headers mean, not on their text.
func TestResolverOptionHeadersCanonicalKey(t *testing.T) {
	t.Parallel()
	r := NewResolver(nil, session.Config{})
	manager := func(ac, ca string) *session.Manager {
		t.Helper()
		h := http.Header{}
		h.Set("X-Composio-Api-Key", keyA)
		h.Set("X-Composio-User-Id", "alice")
		h.Set("X-Composio-Auth-Configs", ac)
		h.Set("X-Composio-Connected-Accounts", ca)
		tn, err := r.Tenant(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		return tn.Sessions.(*session.Manager)
	}
	m := manager("gmail=ac_1,github=ac_2", "slack=ca_1")
	for _, tc := range [][2]string{
		{"GMAIL = ac_1,github=ac_2", "slack=ca_1"},
		{" github=ac_2 , Gmail=ac_1 ", " SLACK=ca_1"},
	} {
		if got := manager(tc[0], tc[1]); got != m {
			t.Errorf("%q, %q: another manager for the same options", tc[0], tc[1])
		}
	}
	if manager("gmail=ac_1", "slack=ca_1,github=ac_2") == m {
		t.Error("other options share the manager")
	}
}

// One credential sending ever new option headers is refused past
// MaxOptionSets, so it cannot push other callers' session managers out of the
// shared pool; its existing sets, and other callers, still work.
func TestResolverOptionSetsCapped(t *testing.T) {
	t.Parallel()
	r := NewResolver(nil, session.Config{})
	tenant := func(apiKey, user, ac string) (*session.Manager, error) {
		h := http.Header{}
		h.Set("X-Composio-Api-Key", apiKey)
		h.Set("X-Composio-User-Id", user)
		if ac != "" {
			h.Set("X-Composio-Auth-Configs", ac)
		}
		tn, err := r.Tenant(context.Background(), h)
		if err != nil {
			return nil, err
		}
		return tn.Sessions.(*session.Manager), nil
	}
	alice, err := tenant(keyA, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range session.DefaultPoolSize {
		_, err := tenant(keyB, "mallory", "gmail=ac_"+strconv.Itoa(i))
		switch {
		case err == nil && i >= MaxOptionSets:
			t.Fatalf("option set %d accepted, past the cap of %d", i+1, MaxOptionSets)
		case err != nil && i < MaxOptionSets:
			t.Fatalf("option set %d: %v", i+1, err)
		case err != nil:
			refused++
			if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(MaxOptionSets)+" different sets") ||
				!strings.Contains(msg, "send the same values on every call") || strings.Contains(msg, keyB) || strings.Contains(msg, "ac_") {
				t.Fatalf("refusal: %s", msg)
			}
		}
	}
	if refused != session.DefaultPoolSize-MaxOptionSets {
		t.Errorf("%d refused", refused)
	}
	if again, err := tenant(keyA, "alice", ""); err != nil || again != alice {
		t.Errorf("alice's session manager was evicted (%v)", err)
	}
	if _, err := tenant(keyB, "mallory", "gmail=ac_0"); err != nil {
		t.Errorf("a set already held is refused: %v", err)
	}
	if _, err := tenant(keyB, "bob", "gmail=ac_x"); err != nil {
		t.Errorf("another user of the key is refused: %v", err)
	}
}
