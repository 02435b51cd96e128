package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownloadDir: --download-dir needs stdio and an existing directory, and
// reaches the tools as an absolute path.
func TestDownloadDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string // "" for no error
	}{
		{[]string{"--download-dir", dir}, ""},
		{[]string{"--download-dir", dir, "--transport", "http"}, "--download-dir works on --transport stdio only"},
		{[]string{"--download-dir", dir, "--transport", "sse"}, "--download-dir works on --transport stdio only"},
		{[]string{"--download-dir", filepath.Join(dir, "missing")}, "want an existing directory"},
		{[]string{"--download-dir", file}, "not a directory"},
	} {
		c, err := Parse(append([]string{"--sandbox"}, tc.args...), env(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if tc.want == "" {
			if err != nil || c.ToolsConfig(nil).DownloadDir != dir {
				t.Errorf("%v: %v, %q", tc.args, err, c.ToolsConfig(nil).DownloadDir)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
