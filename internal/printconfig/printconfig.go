// Package printconfig is the print-config subcommand: the configuration that
// runs this binary as a stdio MCP server in an MCP client (Claude Desktop,
// Cursor, VS Code, Claude Code), ready to paste.
package printconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
)

// configClients are the MCP clients print-config knows, with where their
// configuration goes.
var configClients = []struct{ name, where string }{
	{"claude-desktop", "Add it to claude_desktop_config.json (Claude → Settings → Developer → Edit Config; ~/Library/Application Support/Claude/ on macOS, %APPDATA%\\Claude\\ on Windows), merging with any \"mcpServers\" already there, then restart Claude Desktop."},
	{"cursor", "Add it to ~/.cursor/mcp.json (all projects) or .cursor/mcp.json (one project), merging with any \"mcpServers\" already there."},
	{"vscode", "Add it to .vscode/mcp.json in your workspace (or run \"MCP: Open User Configuration\"); VS Code asks for the API key once and stores it securely."},
	{"claude-code", "Run this command in a shell."},
}

// Placeholders stand for what the user fills in; the real key is never
// printed, since the output is meant to be pasted into files and chats.
const (
	apiKeyPlaceholder     = "<your Composio API key, ak_…>"
	userAPIKeyPlaceholder = "<your Composio user API key, uak_…>"
	userIDPlaceholder     = "<your user id in Composio, e.g. user_123>"
	serverName            = "composio"
)

// Run implements `composio-proxy-mcp print-config [client] [flags]`:
// the configuration that runs this binary as a stdio MCP server in that
// client. Flags given after the client name are passed on to the server; the
// user and session ids come along from the environment, the keys only as
// placeholders. Instructions go to stderr, so stdout can be piped as is.
func Run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	target := "claude-desktop"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	var where string
	for _, c := range configClients {
		if c.name == target {
			where = c.where
		}
	}
	if where == "" {
		names := make([]string, len(configClients))
		for i, c := range configClients {
			names[i] = c.name
		}
		return fmt.Errorf("print-config: unknown client %q: want one of %s", target, strings.Join(names, ", "))
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Transport != "stdio" || cfg.MultiTenant {
		return fmt.Errorf("print-config writes a configuration for a local (stdio) server; leave out --transport and --multi-tenant")
	}
	exe, err := executablePath()
	if err != nil {
		return fmt.Errorf("print-config: finding this program's path: %w", err)
	}
	env := configEnv(cfg, getenv)
	out, err := renderConfig(target, exe, args, env)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	fmt.Fprintln(stderr, where)
	if !cfg.Sandbox {
		fmt.Fprintln(stderr, "Replace the <…> placeholders with your own values; keep the API key out of shared files.")
	}
	if strings.Contains(exe, "go-build") {
		fmt.Fprintln(stderr, "Warning: this is a temporary binary from `go run`; install it (go install) and run print-config from there, so the path stays valid.")
	}
	return nil
}

// executablePath is the absolute path of the running binary with symlinks
// resolved: clients spawn servers without a shell or PATH lookup (Claude
// Desktop fails with "spawn … ENOENT" on a bare name), and a symlink such as
// Homebrew's may be repointed at upgrade.
func executablePath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Abs(exe)
}

// envVar is one environment variable of the generated configuration.
type envVar struct{ name, value string }

// configEnv is the environment the configured server gets: a key placeholder,
// and the user or session id from this environment unless flags give them.
func configEnv(cfg *config.Config, getenv func(string) string) []envVar {
	if cfg.Sandbox {
		return nil
	}
	var env []envVar
	if cfg.APIKey == "" && cfg.UserAPIKey != "" {
		env = append(env, envVar{"COMPOSIO_USER_API_KEY", userAPIKeyPlaceholder})
	} else {
		env = append(env, envVar{"COMPOSIO_API_KEY", apiKeyPlaceholder})
	}
	for _, name := range []string{"COMPOSIO_BASE_URL", "COMPOSIO_USER_ID", "COMPOSIO_SESSION_ID"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			env = append(env, envVar{name, v})
		}
	}
	if cfg.UserID == "" && cfg.SessionID == "" {
		env = append(env, envVar{"COMPOSIO_USER_ID", userIDPlaceholder})
	}
	return env
}

// renderConfig renders the configuration for target.
func renderConfig(target, exe string, args []string, env []envVar) ([]byte, error) {
	if args == nil {
		args = []string{}
	}
	if target == "claude-code" {
		b, err := marshal(stdioServer{Type: "stdio", Command: exe, Args: args, Env: orderedEnv(env)}, "")
		if err != nil {
			return nil, err
		}
		// Single quotes keep the JSON literal in a POSIX shell.
		quoted := "'" + strings.ReplaceAll(string(bytes.TrimSpace(b)), "'", `'\''`) + "'"
		return []byte("claude mcp add-json --scope user " + serverName + " " + quoted + "\n"), nil
	}
	if target == "vscode" {
		// VS Code prompts for an input once and keeps it in its secret store,
		// so the key never has to be written into the file.
		var inputs []vscodeInput
		for i, e := range env {
			var id, desc string
			switch e.value {
			case apiKeyPlaceholder:
				id, desc = "composio-api-key", "Composio API key (ak_…)"
			case userAPIKeyPlaceholder:
				id, desc = "composio-user-api-key", "Composio user API key (uak_…)"
			default:
				continue
			}
			inputs = append(inputs, vscodeInput{Type: "promptString", ID: id, Description: desc, Password: true})
			env[i].value = "${input:" + id + "}"
		}
		return marshal(vscodeConfig{
			Inputs:  inputs,
			Servers: map[string]stdioServer{serverName: {Type: "stdio", Command: exe, Args: args, Env: orderedEnv(env)}},
		}, "  ")
	}
	return marshal(mcpServersConfig{
		MCPServers: map[string]stdioServer{serverName: {Command: exe, Args: args, Env: orderedEnv(env)}},
	}, "  ")
}

// mcpServersConfig is the file format of Claude Desktop and Cursor.
type mcpServersConfig struct {
	MCPServers map[string]stdioServer `json:"mcpServers"`
}

// vscodeConfig is the format of VS Code's mcp.json.
type vscodeConfig struct {
	Inputs  []vscodeInput          `json:"inputs,omitempty"`
	Servers map[string]stdioServer `json:"servers"`
}

type vscodeInput struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Description string `json:"description"`
	Password    bool   `json:"password"`
}

type stdioServer struct {
	Type    string          `json:"type,omitempty"`
	Command string          `json:"command"`
	Args    []string        `json:"args"`
	Env     json.RawMessage `json:"env,omitempty"`
}

// orderedEnv encodes env as a JSON object in the given order, which a map
// would lose: the key first reads best.
func orderedEnv(env []envVar) json.RawMessage {
	if len(env) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range env {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshal(e.name, "")
		v, _ := marshal(e.value, "")
		b.Write(bytes.TrimSpace(k))
		b.WriteByte(':')
		b.Write(bytes.TrimSpace(v))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// marshal encodes v without HTML escaping (placeholders hold < and >),
// indented when indent is not empty.
func marshal(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
