package config

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

func TestResultQuotaPerCaller(t *testing.T) {
	t.Parallel()
	base := map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"--result-quota-per-caller", "1000"}, ""},
		{[]string{"--result-quota-per-caller", "0"}, "--result-quota-per-caller 0: want a positive"},
		{[]string{"--result-store-bytes", "1000", "--result-quota-per-caller", "2000"}, "want at most --result-store-bytes (1000)"},
		// The default is lowered to a smaller store, not refused.
		{[]string{"--result-store-bytes", "1000"}, ""},
		// With a store the global cap does not apply.
		{[]string{"--store", "redis://127.0.0.1:6379/0", "--result-store-bytes", "1000", "--result-quota-per-caller", "2000"}, ""},
	} {
		c, err := Parse(tc.args, env(base), io.Discard)
		if err == nil {
			err = c.Validate()
		}
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.wantErr)
		}
	}
}

// With --store, results go to the store (another process's settings read
// them), streamable HTTP runs stateless, and readiness follows the store.
func TestStoreWiring(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	open := func() *Config {
		return opened(t, []string{"--store", srv.URL(), "--transport", "http"}, map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"})
	}
	a, b := open(), open()
	ctx := context.Background()
	r, err := a.ToolsConfig(nil).Results.Keep(ctx, "r", "application/json", []byte(`{"a":1}`), []int{0})
	if err != nil || r == nil {
		t.Fatalf("Keep: %v, %v", r, err)
	}
	if got, ok, err := b.ToolsConfig(nil).Results.Get(ctx, r.ID()); err != nil || !ok || string(got.Data()) != `{"a":1}` {
		t.Errorf("another process's Get: %v, %v, %v", got, ok, err)
	}
	o := a.httpOptions(nil)
	if !o.Stateless || o.Ready == nil || o.Ready(ctx) != nil {
		t.Errorf("HTTPOptions: stateless %v, ready %v", o.Stateless, o.Ready != nil)
	}
	srv.Stop()
	if o.Ready(ctx) == nil {
		t.Error("ready with the store down")
	}

	c, _ := Parse([]string{"--transport", "http"}, env(map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}), io.Discard)
	if o := c.httpOptions(nil); o.Stateless || o.Ready != nil {
		t.Errorf("without a store: stateless %v, ready %v", o.Stateless, o.Ready != nil)
	}
}
