package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoClientSandbox builds the server and runs the example against it with
// -sandbox, as its doc comment tells a user to.
func TestGoClientSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	t.Setenv("COMPOSIO_SESSION_ID", "trs_from_the_callers_shell") // -sandbox must not pass it on

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"defaults", nil, []string{
			"server: composio-proxy-mcp", "tool:   proxy_execute", "isError: false", "github GET /user → HTTP 200 OK",
		}},
		{"download", []string{"-toolkit", "gmail", "-endpoint", "/download/report.pdf"}, []string{
			"isError: false", "resource_link: report.pdf (application/pdf, ",
		}},
		{"body", []string{"-method", "post", "-endpoint", "/user/repos", "-body", `{"name":"x"}`}, []string{
			"HTTP 201 Created", `"body":{"name":"x"}`,
		}},
		{"error result", []string{"-endpoint", "/status/404"}, []string{"isError: true", "HTTP 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			args := append([]string{"-server", bin, "-sandbox"}, tt.args...)
			if err := run(ctx, args, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\n%s", err, &stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, &stdout)
				}
			}
		})
	}
}

// TestGoClientServerFailsToStart checks that a server that exits at once (here:
// no API key) is reported with its own explanation.
func TestGoClientServerFailsToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	t.Setenv("COMPOSIO_API_KEY", "")
	t.Setenv("COMPOSIO_USER_API_KEY", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"-server", bin}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "COMPOSIO_API_KEY") {
		t.Fatalf("run = %v, want an error that passes on the server's COMPOSIO_API_KEY message", err)
	}
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "composio-proxy-mcp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/composio-proxy-mcp/composio-proxy-mcp").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	return bin
}
