package tenant

import (
	"context"
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
