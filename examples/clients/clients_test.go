// Package clients_test checks the MCP client configuration examples: that each
// file has the shape its client reads, keeps secrets out of argv, and, with
// its placeholders filled in, starts a server that answers a call.
package clients_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// serverEntry is one server in a client's configuration file.
type serverEntry struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

type configFile struct {
	path    string
	servers map[string]serverEntry
	inputs  []string // VS Code input ids
}

var configs = []struct {
	path    string
	key     string // "mcpServers" (Claude Desktop, Cursor, Claude Code) or "servers" (VS Code)
	typed   bool   // each entry must say "type": "stdio"
	sandbox bool
}{
	{"../claude-desktop/claude_desktop_config.json", "mcpServers", false, false},
	{"../claude-desktop/claude_desktop_config.sandbox.json", "mcpServers", false, true},
	{"cursor/mcp.json", "mcpServers", false, false},
	{"vscode/mcp.json", "servers", true, false},
	{"claude-code/mcp.json", "mcpServers", true, false},
}

func load(t *testing.T, path, key string) configFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	cf := configFile{path: path}
	if err := json.Unmarshal(raw[key], &cf.servers); err != nil || len(cf.servers) == 0 {
		t.Fatalf("%s: no servers under %q (%v)", path, key, err)
	}
	if in, ok := raw["inputs"]; ok {
		var inputs []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(in, &inputs); err != nil {
			t.Fatalf("%s: inputs: %v", path, err)
		}
		for _, i := range inputs {
			cf.inputs = append(cf.inputs, i.ID)
		}
	}
	return cf
}

var inputRef = regexp.MustCompile(`\$\{input:([^}]+)\}`)

func TestConfigShapes(t *testing.T) {
	t.Parallel()
	for _, c := range configs {
		cf := load(t, c.path, c.key)
		for name, s := range cf.servers {
			if !filepath.IsAbs(s.Command) || !strings.HasSuffix(s.Command, "/composio-proxy-mcp") {
				t.Errorf("%s %s: command %q: want an absolute path to composio-proxy-mcp (clients do not search your shell's PATH)", c.path, name, s.Command)
			}
			if c.typed && s.Type != "stdio" {
				t.Errorf("%s %s: type %q, want stdio", c.path, name, s.Type)
			}
			for _, a := range s.Args {
				if strings.Contains(a, "ak_") || strings.Contains(a, "KEY") {
					t.Errorf("%s %s: argument %q looks like a secret: secrets go in env", c.path, name, a)
				}
			}
			if c.sandbox {
				if !slices.Equal(s.Args, []string{"--sandbox"}) || len(s.Env) != 0 {
					t.Errorf("%s %s: sandbox entry has args %q and env %v, want [--sandbox] and no env", c.path, name, s.Args, s.Env)
				}
				continue
			}
			if _, ok := s.Env["COMPOSIO_API_KEY"]; !ok {
				t.Errorf("%s %s: env lacks COMPOSIO_API_KEY", c.path, name)
			}
			_, user := s.Env["COMPOSIO_USER_ID"]
			_, session := s.Env["COMPOSIO_SESSION_ID"]
			if !user && !session {
				t.Errorf("%s %s: env lacks COMPOSIO_USER_ID (or COMPOSIO_SESSION_ID)", c.path, name)
			}
			for k, v := range s.Env {
				for _, m := range inputRef.FindAllStringSubmatch(v, -1) {
					if !slices.Contains(cf.inputs, m[1]) {
						t.Errorf("%s %s: env %s refers to input %q, which inputs does not define", c.path, name, k, m[1])
					}
				}
			}
		}
	}
}

// TestConfigsStartTheServer starts the server exactly as each configuration
// says, with its placeholders replaced by the fake backend's values, so that a
// misspelt variable name or flag shows up here rather than in a user's client.
func TestConfigsStartTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	fill := map[string]string{
		"COMPOSIO_API_KEY":    composiotest.APIKey,
		"COMPOSIO_USER_ID":    composiotest.UserID,
		"COMPOSIO_SESSION_ID": composiotest.SessionID,
	}

	for _, c := range configs {
		cf := load(t, c.path, c.key)
		for name, s := range cf.servers {
			t.Run(strings.TrimPrefix(c.path, "../")+"/"+name, func(t *testing.T) {
				var env []string
				for _, kv := range os.Environ() {
					if !strings.HasPrefix(kv, "COMPOSIO_") {
						env = append(env, kv)
					}
				}
				for k := range s.Env {
					v, ok := fill[k]
					if !ok {
						t.Fatalf("env %s: not a variable the server reads", k)
					}
					env = append(env, k+"="+v)
				}
				if !c.sandbox {
					env = append(env, "COMPOSIO_BASE_URL="+fake.URL)
				}
				cmdFunc := func(ctx context.Context, _ string, _ []string, args []string) (*exec.Cmd, error) {
					cmd := exec.CommandContext(ctx, bin, args...) // bin stands in for s.Command
					cmd.Env = env
					return cmd, nil
				}
				cl, err := mcpclient.NewStdioMCPClientWithOptions(s.Command, nil, s.Args, transport.WithCommandFunc(cmdFunc))
				if err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				var init mcp.InitializeRequest
				init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
				init.Params.ClientInfo = mcp.Implementation{Name: "clients_test", Version: "0"}
				if _, err := cl.Initialize(ctx, init); err != nil {
					t.Fatalf("initialize: %v", err)
				}
				var req mcp.CallToolRequest
				req.Params.Name = "proxy_execute"
				req.Params.Arguments = map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"}
				res, err := cl.CallTool(ctx, req)
				if err != nil {
					t.Fatalf("tools/call: %v", err)
				}
				if res.IsError || len(res.Content) == 0 {
					t.Fatalf("result: %+v", res)
				}
				if text, _ := res.Content[0].(mcp.TextContent); !strings.Contains(text.Text, "HTTP 200") {
					t.Errorf("result text: %q", text.Text)
				}
			})
		}
	}
}

// TestConfigsMatchPrintConfig compares each example with what
// `composio-proxy-mcp print-config <client>` writes, so that the two do not
// drift apart: the same top-level key, server name, type and variable names.
func TestConfigsMatchPrintConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	for _, tc := range []struct{ client, path, key string }{
		{"claude-desktop", "../claude-desktop/claude_desktop_config.json", "mcpServers"},
		{"cursor", "cursor/mcp.json", "mcpServers"},
		{"vscode", "vscode/mcp.json", "servers"},
	} {
		t.Run(tc.client, func(t *testing.T) {
			cmd := exec.Command(bin, "print-config", tc.client)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "COMPOSIO_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("print-config %s: %v", tc.client, err)
			}
			printed := filepath.Join(t.TempDir(), "printed.json")
			if err := os.WriteFile(printed, out, 0o600); err != nil {
				t.Fatal(err)
			}
			want, got := load(t, printed, tc.key), load(t, tc.path, tc.key)
			for name, w := range want.servers {
				g, ok := got.servers[name]
				if !ok {
					t.Errorf("%s: no server %q, which print-config names", tc.path, name)
					continue
				}
				if g.Type != w.Type {
					t.Errorf("%s: type %q, print-config writes %q", tc.path, g.Type, w.Type)
				}
				if !slices.Equal(sortedKeys(g.Env), sortedKeys(w.Env)) {
					t.Errorf("%s: env %v, print-config writes %v", tc.path, sortedKeys(g.Env), sortedKeys(w.Env))
				}
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.Sort(keys)
	return keys
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "composio-proxy-mcp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/composio-proxy-mcp/composio-proxy-mcp").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	return bin
}
