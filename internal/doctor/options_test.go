package doctor

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// doctor names a toolkit that needs an auth config, a pinned account that is
// not ACTIVE, and a check session it could not delete, each with its fix.
func TestRunSessionOptions(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount("alice", "gmail", "ca_old", "EXPIRED")
	fake.AddAccount("alice", "github", "ca_gh", "ACTIVE")
	// A Composio whose DELETE fails, as one without v3.1 would.
	noDelete := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"message":"Cannot DELETE `+r.URL.Path+`","status":404,"code":10404,"slug":"HTTP_NotFound"}}`)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(noDelete.Close)
	base := map[string]string{"COMPOSIO_API_KEY": composiotest.APIKey, "COMPOSIO_USER_ID": "alice", "COMPOSIO_BASE_URL": fake.URL}
	for _, tc := range []struct {
		name    string
		baseURL string
		args    []string
		ok      bool
		want    []string
	}{
		{"auth config needed", "", []string{"--toolkits", "github,jira"}, false, []string{
			`FAIL  toolkit "jira" from --toolkits needs an auth config`, "fix: create an auth config for jira in the Composio dashboard, then set --auth-configs jira=ac_…"}},
		{"auth config given", "", []string{"--toolkits", "github,jira", "--auth-configs", "jira=ac_j"}, true, []string{"No problems found."}},
		{"pinned expired", "", []string{"--connected-accounts", "gmail=ca_old,github=ca_gh", "--api-version", "v3.1"}, false, []string{
			"FAIL  the pinned gmail account ca_old is EXPIRED, not ACTIVE", "fix: reconnect gmail account ca_old", "ok    pinned github account ca_gh is ACTIVE"}},
		{"delete failed", noDelete.URL, nil, true, []string{"warn  deleting the check session trs_", "HTTP 404", "fix: nothing to do for the server; the session stays in your Composio project"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			if tc.baseURL != "" {
				env["COMPOSIO_BASE_URL"] = tc.baseURL
			}
			var out bytes.Buffer
			err := Run(context.Background(), tc.args, func(k string) string { return env[k] }, "v1", &out, io.Discard)
			if (err == nil) != tc.ok {
				t.Errorf("Run = %v, want ok=%v\n%s", err, tc.ok, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
