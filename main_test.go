package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

// runOnce runs the program to completion with no input.
func runOnce(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	err = run(ctx, args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestRunFlags: what run answers before serving anything.
func TestRunFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		args       []string
		wantErr    string // "" for success
		wantStdout string
		wantStderr string
	}{
		{name: "unknown flag", args: []string{"--no-such-flag"}, wantErr: "flag provided but not defined: -no-such-flag", wantStderr: "Usage: composio-proxy-mcp"},
		{name: "bad value", args: []string{"--timeout", "soon"}, wantErr: `invalid value "soon" for flag -timeout`},
		{name: "invalid setting", args: []string{"--sandbox", "--max-retries", "99"}, wantErr: "--max-retries 99: want 0 to 10"},
		{name: "no key", args: nil, wantErr: "set COMPOSIO_API_KEY"},
		{name: "bad log level", args: []string{"--sandbox", "--log-level", "loud"}, wantErr: `--log-level "loud": want debug, info, warn or error`},
		{name: "version", args: []string{"--version"}, wantStdout: "composio-proxy-mcp " + programVersion() + "\n"},
		{name: "print-config", args: []string{"print-config", "cursor", "--sandbox"}, wantStdout: `"mcpServers"`, wantStderr: ".cursor/mcp.json"},
		{name: "print-config unknown client", args: []string{"print-config", "emacs"}, wantErr: `unknown client "emacs"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runOnce(t, noEnv, tc.args...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("run: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("run = %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout, tc.wantStdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.wantStderr)
			}
		})
	}
}

// TestRunHelp: --help prints the usage to stderr and returns flag.ErrHelp,
// which main takes for success.
func TestRunHelp(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := runOnce(t, noEnv, "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run = %v, want flag.ErrHelp", err)
	}
	if stdout != "" || !strings.Contains(stderr, "Usage: composio-proxy-mcp") || !strings.Contains(stderr, "-max-upstream-calls") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
}

// TestRunPrintConfigJSON: print-config writes a configuration that runs this
// binary with the flags given, and the key only as a placeholder.
func TestRunPrintConfigJSON(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COMPOSIO_API_KEY": "ak_SECRET", "COMPOSIO_USER_ID": "alice"}
	stdout, _, err := runOnce(t, func(k string) string { return env[k] }, "print-config", "claude-desktop", "--read-only")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		MCPServers map[string]struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal([]byte(stdout), &cfg); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	s := cfg.MCPServers["composio"]
	if s.Command == "" || strings.Join(s.Args, " ") != "--read-only" || s.Env["COMPOSIO_USER_ID"] != "alice" || strings.Contains(stdout, "SECRET") {
		t.Errorf("config: %s", stdout)
	}
}

// TestRunRefusesOpenListenWithoutToken: an HTTP server reachable from other
// machines needs a bearer token.
func TestRunRefusesOpenListenWithoutToken(t *testing.T) {
	t.Parallel()
	_, _, err := runOnce(t, noEnv, "--sandbox", "--transport", "http", "--listen", "0.0.0.0:8080")
	if err == nil || !strings.Contains(err.Error(), "set COMPOSIO_MCP_AUTH_TOKEN") {
		t.Fatalf("run = %v", err)
	}
}

// TestRunStdioSandbox: a whole stdio session against the sandbox, in
// process: initialize, tools/list and a proxy_execute call that returns data.
func TestRunStdioSandbox(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	// stderr is read once run has returned, when no goroutine writes it.
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--sandbox"}, noEnv, inR, outW, &stderr)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	lines.Buffer(nil, 1<<20)
	call := func(id int, method string, params any) map[string]any {
		t.Helper()
		req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if _, err := inW.Write(append(req, '\n')); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		for lines.Scan() {
			var resp struct {
				ID     int            `json:"id"`
				Result map[string]any `json:"result"`
				Error  any            `json:"error"`
			}
			if err := json.Unmarshal(lines.Bytes(), &resp); err != nil {
				t.Fatalf("stdout is not JSON-RPC: %q", lines.Text())
			}
			if resp.ID != id {
				continue // a notification
			}
			if resp.Error != nil {
				t.Fatalf("%s: %v", method, resp.Error)
			}
			return resp.Result
		}
		t.Fatalf("%s: no answer (%v)", method, lines.Err())
		return nil
	}
	call(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "main_test", "version": "0"}})
	inW.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))

	list, _ := json.Marshal(call(2, "tools/list", map[string]any{}))
	for _, name := range []string{"proxy_execute", "list_toolkits", "connect_toolkit"} {
		if !strings.Contains(string(list), `"name":"`+name+`"`) {
			t.Errorf("tools/list lacks %s: %s", name, list)
		}
	}

	res := call(3, "tools/call", map[string]any{"name": "proxy_execute", "arguments": map[string]any{"toolkit_slug": "github", "endpoint": "/repos/a/b", "method": "GET"}})
	data, _ := res["structuredContent"].(map[string]any)["data"].(map[string]any)
	if res["isError"] == true || data["endpoint"] != "/repos/a/b" {
		t.Errorf("proxy_execute: %v", res)
	}

	inW.Close() // end of input: the server drains and returns
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("run did not return at end of input")
	}
	if !strings.Contains(stderr.String(), "SANDBOX") {
		t.Errorf("stderr lacks the sandbox warning:\n%s", stderr.String())
	}
}
