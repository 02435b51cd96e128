package printconfig

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestRun: each client's configuration, with the key a placeholder (or, in
// VS Code, an input kept in its secret store), and the refusal of an HTTP
// server's settings.
func TestRun(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COMPOSIO_API_KEY": "ak_SECRET", "COMPOSIO_USER_ID": "alice"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		args    []string
		want    []string
		wantErr string
	}{
		{args: nil, want: []string{`"mcpServers"`, `"COMPOSIO_API_KEY": "` + apiKeyPlaceholder + `"`, `"COMPOSIO_USER_ID": "alice"`}},
		{args: []string{"vscode", "--read-only"}, want: []string{`"inputs"`, `"password": true`, `"${input:composio-api-key}"`, `"--read-only"`}},
		{args: []string{"claude-code"}, want: []string{"claude mcp add-json --scope user composio '"}},
		{args: []string{"--transport", "http"}, wantErr: "leave out --transport and --multi-tenant"},
		{args: []string{"emacs"}, wantErr: `unknown client "emacs"`},
	} {
		var out bytes.Buffer
		err := Run(tc.args, getenv, &out, io.Discard)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %s:\n%s", tc.args, w, out.String())
			}
		}
		if strings.Contains(out.String(), "SECRET") {
			t.Errorf("%v: the key is printed:\n%s", tc.args, out.String())
		}
	}
}
