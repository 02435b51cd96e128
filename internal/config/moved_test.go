package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFeatureFlags: the feature flags parse from flags and COMPOSIO_MCP_*
// variables, upload roots accumulate and become absolute, and bad values are
// refused at start.
func TestFeatureFlags(t *testing.T) {
	t.Parallel()
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	vars := map[string]string{
		"COMPOSIO_API_KEY":               "ak_x",
		"COMPOSIO_SESSION_ID":            "trs_x",
		"COMPOSIO_MCP_DRY_RUN":           "true",
		"COMPOSIO_MCP_CONFIRM_WRITES":    "1",
		"COMPOSIO_MCP_MAX_RESULT_BYTES":  "2048",
		"COMPOSIO_MCP_INLINE_IMAGES_MAX": "0",
		"COMPOSIO_MCP_RESULT_TTL":        "5m",
	}
	getenv := func(k string) string { return vars[k] }
	c, err := Parse([]string{"--upload-root", dirA, "--upload-root", dirB + string(filepath.ListSeparator) + dirC}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.DryRun || !c.ConfirmWrites || c.MaxResultBytes != 2048 || c.InlineImagesMax != 0 || c.ResultTTL != 5*time.Minute || len(c.UploadRoots) != 3 || c.UploadRoots[2] != dirC {
		t.Errorf("features = %+v", c)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-result-bytes", "100"}, "--max-result-bytes 100"},
		{[]string{"--max-result-bytes", "-1"}, "--max-result-bytes -1"},
		{[]string{"--result-ttl", "0s"}, "--result-ttl"},
		{[]string{"--result-store-bytes", "0"}, "--result-store-bytes"},
		{[]string{"--inline-images-max", "-5"}, "--inline-images-max"},
		{[]string{"--upload-root", filepath.Join(dirA, "missing")}, "--upload-root"},
		{[]string{"--upload-root", filepath.Join(dirA, "file")}, "not a directory"},
	} {
		os.WriteFile(filepath.Join(dirA, "file"), nil, 0o644)
		c, err := Parse(tc.args, func(k string) string {
			if k == "COMPOSIO_API_KEY" || k == "COMPOSIO_SESSION_ID" {
				return vars[k]
			}
			return ""
		}, io.Discard)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestHTTPShutdownOutlastsCallTimeout: the drain on SIGTERM is longer than
// the longest call (--timeout, 50 s by default).
func TestHTTPShutdownOutlastsCallTimeout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--timeout", "90s"}} {
		cfg, err := Parse(args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.ShutdownTimeout(); got <= cfg.Timeout {
			t.Errorf("--timeout %s: shutdown drains %s", cfg.Timeout, got)
		}
		if got := cfg.httpOptions(nil).ShutdownTimeout; got != cfg.ShutdownTimeout() {
			t.Errorf("--timeout %s: the HTTP server drains %s", cfg.Timeout, got)
		}
	}
}
