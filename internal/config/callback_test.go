package config

import (
	"io"
	"strings"
	"testing"
)

func TestConnectCallbackURL(t *testing.T) {
	t.Parallel()
	for value, wantErr := range map[string]bool{
		"https://example.com/connected": false,
		"http://127.0.0.1:3000/done":    false,
		"example.com/connected":         true,
		"/connected":                    true,
		"ftp://example.com/x":           true,
		"https://":                      true,
	} {
		c, err := Parse([]string{"--sandbox"}, env(map[string]string{"COMPOSIO_MCP_CONNECT_CALLBACK_URL": value}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if (err != nil) != wantErr || (err != nil && !strings.Contains(err.Error(), "--connect-callback-url") || err != nil && !strings.Contains(err.Error(), "absolute http or https URL")) {
			t.Errorf("%q: %v", value, err)
		}
		if err == nil && c.ToolsConfig(nil).ConnectCallbackURL != value {
			t.Errorf("%q: not passed to the tools", value)
		}
	}
}
