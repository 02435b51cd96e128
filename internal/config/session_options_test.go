package config

import (
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// The session options reach the session config from flags and from the
// environment, and the API version reaches the client options.
func TestSessionOptions(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{
		"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u",
		"COMPOSIO_MCP_CONNECTED_ACCOUNTS": "gmail=ca_1",
		"COMPOSIO_MCP_API_VERSION":        "v3.1",
	})
	c, err := Parse([]string{"--toolkits-disable", "Slack", "--auth-configs", "gmail=ac_1,github=ac_2"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	sc := c.SessionConfig(nil)
	if !slices.Equal(sc.DisableToolkits, []string{"slack"}) || !maps.Equal(sc.AuthConfigs, map[string]string{"gmail": "ac_1", "github": "ac_2"}) ||
		!maps.Equal(sc.ConnectedAccounts, map[string]string{"gmail": "ca_1"}) || sc.UserID != "u" || c.APIVersion != client.APIv31 {
		t.Errorf("session config %+v, API version %s", sc, c.APIVersion)
	}
	d, err := Parse(nil, env(map[string]string{"COMPOSIO_API_KEY": "ak_x"}), io.Discard)
	if err != nil || d.APIVersion != client.APIv3 {
		t.Errorf("default API version %q, %v", d.APIVersion, err)
	}
}

// Invalid values fail at start naming the flag and the form it wants.
func TestSessionOptionsInvalid(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		vars map[string]string
		want []string
	}{
		"no =":           {args: []string{"--auth-configs", "gmail"}, want: []string{"--auth-configs", "slug=id"}},
		"empty slug":     {args: []string{"--connected-accounts", "=ca_1"}, want: []string{"--connected-accounts", "empty toolkit slug", "slug=id"}},
		"empty id":       {args: []string{"--auth-configs", "gmail="}, want: []string{"--auth-configs", "empty id"}},
		"duplicate slug": {vars: map[string]string{"COMPOSIO_MCP_AUTH_CONFIGS": "gmail=ac_1,gmail=ac_2"}, want: []string{"COMPOSIO_MCP_AUTH_CONFIGS", "--auth-configs", "given twice"}},
		"api version":    {args: []string{"--api-version", "v4"}, want: []string{"--api-version", "want v3 or v3.1"}},
		"enable and disable": {args: []string{"--toolkits", "gmail", "--toolkits-disable", "slack"},
			want: []string{"--toolkits and --toolkits-disable do not go together", "give one"}},
	} {
		vars := map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}
		maps.Copy(vars, tc.vars)
		c, err := Parse(tc.args, env(vars), io.Discard)
		if err == nil {
			err = c.Validate()
		}
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", name, err, w)
			}
		}
	}
}
