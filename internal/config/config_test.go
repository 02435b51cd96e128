package config

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigFlagWinsOverEnv(t *testing.T) {
	t.Parallel()
	e := env(map[string]string{
		"COMPOSIO_API_KEY":            " ak_x ",
		"COMPOSIO_SESSION_ID":         "trs_env",
		"COMPOSIO_BASE_URL":           "http://env.test",
		"COMPOSIO_MCP_TIMEOUT":        "5s",
		"COMPOSIO_MCP_TRANSPORT":      "http",
		"COMPOSIO_MCP_READ_ONLY":      "true",
		"COMPOSIO_MCP_ALLOW_TOOLKITS": "Gmail, github",
	})
	c, err := Parse([]string{"--session-id", "trs_flag", "--timeout", "7s"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionID != "trs_flag" || c.Timeout != 7*time.Second {
		t.Errorf("flags did not win: session %q timeout %s", c.SessionID, c.Timeout)
	}
	if c.BaseURL != "http://env.test" || c.Transport != "http" || !c.readOnly || c.APIKey != "ak_x" {
		t.Errorf("env not read: %+v", c)
	}
	if !slices.Equal(c.allowToolkits, []string{"gmail", "github"}) {
		t.Errorf("toolkits = %v", c.allowToolkits)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigPolicyAndRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args        []string
		wantMethods []string
		wantRate    int
		wantErr     string
	}{
		{args: nil, wantMethods: nil, wantRate: 0},
		{args: []string{"--transport", "http"}, wantRate: 600},
		{args: []string{"--transport", "sse", "--rate-limit", "0"}, wantRate: 0},
		{args: []string{"--rate-limit", "30"}, wantRate: 30},
		{args: []string{"--read-only"}, wantMethods: []string{"GET", "HEAD"}},
		{args: []string{"--allow-methods", "get,post"}, wantMethods: []string{"GET", "POST"}},
		{args: []string{"--allow-methods", "GET,POST", "--read-only"}, wantMethods: []string{"GET"}},
		{args: []string{"--allow-methods", "POST", "--read-only"}, wantErr: "leaves no method allowed"},
		{args: []string{"--allow-methods", "FETCH"}, wantErr: `"FETCH" is not one of`},
		{args: []string{"--rate-limit", "-5"}, wantErr: "--rate-limit"},
		{args: []string{"--max-retries", "99"}, wantErr: "--max-retries"},
		{args: []string{"--max-upstream-calls", "0"}, wantErr: "--max-upstream-calls"},
		{args: []string{"--max-upstream-calls", "8", "--max-upstream-calls-per-caller", "9"}, wantErr: "--max-upstream-calls-per-caller"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tt.args, env(map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_SESSION_ID": "trs_x"}), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("validate = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Policy().Methods; !slices.Equal(got, tt.wantMethods) {
				t.Errorf("methods = %v, want %v", got, tt.wantMethods)
			}
			if got := c.RateLimitPerMinute(); got != tt.wantRate {
				t.Errorf("rate = %d, want %d", got, tt.wantRate)
			}
		})
	}
}

func TestConfigSandboxNeedsNoSecrets(t *testing.T) {
	t.Parallel()
	c, err := Parse([]string{"--sandbox"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("sandbox: %v", err)
	}
}

// TestConfigPositionalNotEchoed: a positional argument (often a key pasted
// on the command line) is counted in the error, never shown.
func TestConfigPositionalNotEchoed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ak_SECRET_KEY_1"}, "1 unexpected argument after the flags"},
		{[]string{"--read-only", "ak_SECRET_KEY_1", "ak_SECRET_KEY_2"}, "2 unexpected arguments after the flags"},
		{[]string{"--timeout", "5s", "--", "ak_SECRET_KEY_1"}, "1 unexpected argument"},
	} {
		_, err := Parse(tc.args, env(nil), io.Discard)
		if err == nil {
			t.Fatalf("%q: accepted", tc.args)
		}
		if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--name=value") {
			t.Errorf("%q: %v", tc.args, err)
		}
	}
}

// --max-upstream-calls alone is a valid setting, and the per-caller cap it
// implies never exceeds it; without --multi-tenant the one credential may use
// the whole process cap.
func TestConfigUpstreamCallsPerCallerDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 64},
		{[]string{"--max-upstream-calls", "8"}, 8},
		{[]string{"--max-upstream-calls", "8", "--max-upstream-calls-per-caller", "3"}, 3},
		{[]string{"--multi-tenant", "--transport", "http"}, 16},
		{[]string{"--multi-tenant", "--transport", "http", "--max-upstream-calls", "8"}, 8},
	} {
		vars := map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_SESSION_ID": "trs_x"}
		if slices.Contains(tc.args, "--multi-tenant") {
			vars = nil // a multi-tenant server holds no key
		}
		c, err := Parse(tc.args, env(vars), io.Discard)
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := c.UpstreamCallsPerCaller(); got != tc.want {
			t.Errorf("%v: per-caller cap %d, want %d", tc.args, got, tc.want)
		}
	}
}
