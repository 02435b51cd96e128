package doctor

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// TestRun: doctor's report in process, against the fake Composio. The
// settings are checked once, before anything else.
func TestRun(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		ok   bool
		want []string
	}{
		{"good", map[string]string{"COMPOSIO_API_KEY": composiotest.APIKey, "COMPOSIO_USER_ID": "alice", "COMPOSIO_BASE_URL": fake.URL}, nil, true,
			[]string{"composio-proxy-mcp v1 doctor", "ok    COMPOSIO_API_KEY is set", "a session for user \"alice\" can be created", "No problems found."}},
		{"sandbox", nil, []string{"--sandbox"}, true, []string{"ok    --sandbox"}},
		{"bad setting", map[string]string{"COMPOSIO_API_KEY": composiotest.APIKey, "COMPOSIO_USER_ID": "alice"}, []string{"--max-retries", "99"}, false,
			[]string{"FAIL  --max-retries 99: want 0 to 10", "1 problem(s) found"}},
		{"multi-tenant on stdio", nil, []string{"--multi-tenant"}, false, []string{"FAIL  --multi-tenant needs --transport http", "1 problem(s) found"}},
		{"multi-tenant", nil, []string{"--multi-tenant", "--transport", "http"}, true, []string{"ok    --multi-tenant"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, "v1", &out, io.Discard)
			if (err == nil) != tc.ok {
				t.Errorf("Run = %v, want ok=%v\n%s", err, tc.ok, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
			if n := strings.Count(out.String(), "FAIL"); !tc.ok && n != 1 {
				t.Errorf("%d failures reported, want 1:\n%s", n, out.String())
			}
		})
	}
}
