package config

import (
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// With --store the rate limit, the sessions and the confirmed calls are
// kept in it, the limit keyed by the server's one user; without, in memory,
// the limit per MCP session.
func TestSharedStateWiring(t *testing.T) {
	t.Parallel()
	set := &tools.Set{}
	for _, tc := range []struct {
		name   string
		args   []string
		shared bool
	}{
		{"memory", []string{"--transport", "http"}, false},
		{"store", []string{"--transport", "http", "--store", "redis://127.0.0.1:1/0"}, true},
	} {
		c := opened(t, tc.args, map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"})
		so := c.ServerOptions("t", "0", set, nil)
		sc := c.SessionConfig(nil)
		tc2 := c.ToolsConfig(nil)
		got := []bool{so.Limiter != nil, so.RateLimitKey != nil, sc.Shared != nil, sc.Owner != "", tc2.Replays != nil}
		for i, g := range got {
			if g != tc.shared {
				t.Errorf("%s: setting %d shared = %v, want %v (%v)", tc.name, i, g, tc.shared, got)
			}
		}
	}
}
