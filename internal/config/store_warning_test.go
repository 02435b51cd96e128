package config

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// A fleet with --confirm-writes and no shared state key is told at start
// that its replicas refuse each other's confirmations.
func TestConfirmWritesWithoutStateKeyWarns(t *testing.T) {
	base := map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		warn bool
	}{
		{"no state key", base, true},
		{"state key", map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u", "COMPOSIO_MCP_STATE_KEY": strings.Repeat("k", 32)}, false},
	} {
		c, err := Parse([]string{"--store", "redis://127.0.0.1:1/0", "--transport", "http", "--confirm-writes"}, env(tc.env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		closeStore, err := c.OpenStore(slog.New(slog.NewTextHandler(&buf, nil)))
		if err != nil {
			t.Fatal(err)
		}
		closeStore()
		if got := strings.Contains(buf.String(), "COMPOSIO_MCP_STATE_KEY"); got != tc.warn {
			t.Errorf("%s: warned %v, want %v; log:\n%s", tc.name, got, tc.warn, buf.String())
		}
	}
}
