package config

import (
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestStoreSettings(t *testing.T) {
	t.Parallel()
	base := map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}
	with := func(kv map[string]string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range kv {
			m[k] = v
		}
		return env(m)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // "" for valid
	}{
		{"no store", nil, nil, ""},
		{"store flag", []string{"--store", "redis://127.0.0.1:6379/0"}, nil, ""},
		{"tls store", []string{"--store", "rediss://valkey.internal:6380/1"}, nil, ""},
		{"password in the flag", []string{"--store", "redis://:hunter22@127.0.0.1:6379/0"}, nil, "COMPOSIO_MCP_STORE_PASSWORD"},
		{"password in the env URL", nil, map[string]string{"COMPOSIO_MCP_STORE": "redis://:hunter22@127.0.0.1:6379/0"}, ""},
		{"password variable", []string{"--store", "redis://127.0.0.1:6379/0"}, map[string]string{"COMPOSIO_MCP_STORE_PASSWORD": "hunter22"}, ""},
		{"password without a store", nil, map[string]string{"COMPOSIO_MCP_STORE_PASSWORD": "hunter22"}, "without --store"},
		{"not redis", []string{"--store", "http://127.0.0.1:6379"}, nil, "want redis://"},
		{"bare address", []string{"--store", "127.0.0.1:6379"}, nil, "want redis://"},
		{"short state key", nil, map[string]string{"COMPOSIO_MCP_STATE_KEY": "short"}, "at least 32"},
		{"state key", nil, map[string]string{"COMPOSIO_MCP_STATE_KEY": strings.Repeat("k", 32)}, ""},
	} {
		c, err := Parse(tc.args, with(tc.env), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = c.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), "hunter22"):
			t.Errorf("%s: the error repeats the password: %v", tc.name, err)
		}
	}
}

// The state key signs confirmations, and the store's passwords are masked
// like the other secrets.
func TestStoreSecrets(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("s", 40)
	c, err := Parse(nil, env(map[string]string{
		"COMPOSIO_MCP_STATE_KEY":      key,
		"COMPOSIO_MCP_STORE":          "redis://:in-url-pw@127.0.0.1:1/0",
		"COMPOSIO_MCP_STORE_PASSWORD": "env-pw",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.ToolsConfig(nil).ConfirmKey) != key {
		t.Error("the state key does not sign confirmations")
	}
	for _, s := range []string{key, "in-url-pw", "env-pw"} {
		if !slices.Contains(c.Secrets(), s) {
			t.Errorf("%q is not masked", s)
		}
	}
	if sc, ok := c.StoreConfig(nil); !ok || sc.Password != "env-pw" {
		t.Errorf("StoreConfig = %+v, %v", sc, ok)
	}
	c2, _ := Parse(nil, env(nil), io.Discard)
	if c2.ToolsConfig(nil).ConfirmKey != nil {
		t.Error("without a state key, ConfirmKey should be nil (random per process)")
	}
}

// A failed store command is counted in store_errors_total.
func TestStoreErrorsAreCounted(t *testing.T) {
	t.Parallel()
	c, err := Parse([]string{"--transport", "http", "--store", "redis://127.0.0.1:1/0"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := c.StoreConfig(nil)
	if !ok || sc.OnError == nil {
		t.Fatal("StoreConfig has no OnError with metrics on")
	}
	sc.OnError("ping")
	rec := httptest.NewRecorder()
	c.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `composio_mcp_store_errors_total{operation="ping"} 1`) {
		t.Errorf("store error not counted:\n%s", rec.Body.String())
	}
}
