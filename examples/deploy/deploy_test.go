// Package deploy_test checks the deployment examples against the server they
// start: every flag and COMPOSIO_* variable they set is a real setting (a row
// of the README's configuration table), their settings pass the server's own
// checks once the placeholders are filled in, the secrets come from the
// environment only, and the Kubernetes manifest wires the store, the probes
// and the metrics port together. The YAML is read line by line: the manifest
// is plain block style, and a new dependency for it is not worth it.
package deploy_test

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
)

const (
	manifestPath = "kubernetes/composio-proxy-mcp.yaml"
	unitPath     = "systemd/composio-proxy-mcp.service"
	envFilePath  = "systemd/composio-proxy-mcp.env.example"
)

// filled stands for the secrets an operator puts in place of the placeholders.
var filled = map[string]string{
	"COMPOSIO_API_KEY":            "ak_deploy_test_0123456789",
	"COMPOSIO_MCP_STATE_KEY":      strings.Repeat("ab", 32),
	"COMPOSIO_MCP_STORE_PASSWORD": "store-password",
}

// server is how an example starts the server: its arguments, and its
// environment (name → value; "" for a value a Secret or file supplies).
type server struct {
	args []string
	env  map[string]string
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// doc is one YAML document of the manifest, as trimmed lines.
type doc []string

func docs(t *testing.T) map[string]doc {
	t.Helper()
	out := map[string]doc{}
	for _, d := range strings.Split(read(t, manifestPath), "\n---\n") {
		var lines doc
		for _, l := range strings.Split(d, "\n") {
			if tl := strings.TrimSpace(l); tl != "" && !strings.HasPrefix(tl, "#") {
				lines = append(lines, tl)
			}
		}
		kind, name := lines.value("kind:"), lines.value("name:")
		out[kind+"/"+name] = lines
	}
	return out
}

// value is the first "key: value" in d, unquoted.
func (d doc) value(key string) string {
	for _, l := range d {
		if v, ok := strings.CutPrefix(l, key); ok {
			return unquote(v)
		}
	}
	return ""
}

// after is the value of key in the first line starting with key after the
// line block.
func (d doc) after(block, key string) string {
	i := slices.Index(d, block)
	if i < 0 {
		return ""
	}
	return d[i+1:].value(key)
}

func unquote(s string) string {
	s, _, _ = strings.Cut(s, " #")
	return strings.Trim(strings.TrimSpace(s), `"`)
}

// list is the "- item" lines right after the line block.
func (d doc) list(block string) []string {
	var out []string
	i := slices.Index(d, block)
	for _, l := range d[i+1:] {
		item, ok := strings.CutPrefix(l, "- ")
		if !ok || strings.Contains(item, ": ") {
			break
		}
		out = append(out, unquote(item))
	}
	return out
}

// envOf is the "- name:" entries of the env block, with their values.
func (d doc) envOf() map[string]string {
	env := map[string]string{}
	i := slices.Index(d, "env:")
	for j := i + 1; i >= 0 && j < len(d); j++ {
		name, ok := strings.CutPrefix(d[j], "- name: ")
		if !ok {
			if strings.HasPrefix(d[j], "- ") || d[j] == "ports:" {
				break
			}
			continue
		}
		env[unquote(name)] = ""
		if v, ok := strings.CutPrefix(d[j+1], "value: "); ok {
			env[unquote(name)] = unquote(v)
		}
	}
	return env
}

func kubernetesServer(t *testing.T) server {
	d := docs(t)["Deployment/composio-proxy-mcp"]
	return server{args: d.list("args:"), env: d.envOf()}
}

func systemdServer(t *testing.T) server {
	s := server{env: map[string]string{}}
	for _, l := range strings.Split(read(t, unitPath), "\n") {
		if rest, ok := strings.CutPrefix(l, "ExecStart="); ok {
			s.args = strings.Fields(rest)[1:]
		}
		if kv, ok := strings.CutPrefix(l, "Environment="); ok {
			k, v, _ := strings.Cut(kv, "=")
			s.env[k] = v
		}
	}
	for _, l := range strings.Split(read(t, envFilePath), "\n") {
		if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			s.env[k] = ""
		}
	}
	return s
}

// settings are the flags and variables the README's configuration table
// names.
func settings(t *testing.T) (flags, vars map[string]bool) {
	t.Helper()
	flags, vars = map[string]bool{}, map[string]bool{}
	flagRe, varRe := regexp.MustCompile("^\\| `(--[a-z-]+)`"), regexp.MustCompile("^\\| [^|]*\\| `(COMPOSIO_[A-Z_]+)`")
	for _, l := range strings.Split(read(t, "../../README.md"), "\n") {
		if m := flagRe.FindStringSubmatch(l); m != nil {
			flags[m[1]] = true
		}
		if m := varRe.FindStringSubmatch(l); m != nil {
			vars[m[1]] = true
		}
	}
	if len(flags) < 20 || len(vars) < 20 {
		t.Fatalf("the README's configuration table was not found (%d flags, %d variables)", len(flags), len(vars))
	}
	return flags, vars
}

// TestExamplesUseRealSettings: each flag and variable an example sets is a
// row of the README's table, and the whole passes the server's checks.
func TestExamplesUseRealSettings(t *testing.T) {
	t.Parallel()
	flags, vars := settings(t)
	for name, s := range map[string]server{"kubernetes": kubernetesServer(t), "systemd": systemdServer(t)} {
		t.Run(name, func(t *testing.T) {
			for _, a := range s.args {
				if f, _, _ := strings.Cut(a, "="); strings.HasPrefix(f, "--") && !flags[f] {
					t.Errorf("%s is not a flag of the README's table", f)
				}
			}
			for k := range s.env {
				if !vars[k] {
					t.Errorf("%s is not a variable of the README's table", k)
				}
			}
			for _, want := range []string{"COMPOSIO_API_KEY", "COMPOSIO_MCP_STATE_KEY", "COMPOSIO_MCP_STORE_PASSWORD", "COMPOSIO_MCP_OAUTH_ISSUER", "COMPOSIO_MCP_OAUTH_AUDIENCE", "COMPOSIO_MCP_OAUTH_USER_CLAIM"} {
				if _, ok := s.env[want]; !ok {
					t.Errorf("%s is not set", want)
				}
			}
			for secret := range filled {
				if s.env[secret] != "" {
					t.Errorf("%s has a value in the file itself: it belongs in a Secret or the EnvironmentFile", secret)
				}
			}
			for _, want := range []string{"--store", "--metrics-listen"} {
				if !slices.Contains(s.args, want) {
					t.Errorf("the server's arguments %v lack %s", s.args, want)
				}
			}
			getenv := func(k string) string {
				if v, ok := filled[k]; ok {
					return v
				}
				return s.env[k]
			}
			cfg, err := config.Parse(s.args, getenv, io.Discard)
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Errorf("%v: %v", s.args, err)
			}
		})
	}
}

// TestPlaceholdersAreRefused: an example applied without its secrets filled
// in does not start, and says which one.
func TestPlaceholdersAreRefused(t *testing.T) {
	t.Parallel()
	secretDoc := docs(t)["Secret/composio-proxy-mcp"]
	s := kubernetesServer(t)
	getenv := func(k string) string {
		if v := secretDoc.value(k + ":"); v != "" {
			return v
		}
		return s.env[k]
	}
	cfg, err := config.Parse(s.args, getenv, io.Discard)
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), "COMPOSIO_MCP_STATE_KEY") {
		t.Errorf("with the Secret's placeholders: err = %v, want one naming COMPOSIO_MCP_STATE_KEY", err)
	}
}

// TestKubernetesWiring: the store URL names the Valkey Service, every secret
// the pods read is in the Secret, readiness is /readyz and liveness /healthz,
// and the scrape annotation names the --metrics-listen port.
func TestKubernetesWiring(t *testing.T) {
	t.Parallel()
	all := docs(t)
	for _, want := range []string{"Secret/composio-proxy-mcp", "Deployment/valkey", "Service/valkey", "Deployment/composio-proxy-mcp", "Service/composio-proxy-mcp"} {
		if all[want] == nil {
			t.Errorf("no %s in %s", want, manifestPath)
		}
	}
	dep, s := all["Deployment/composio-proxy-mcp"], kubernetesServer(t)
	arg := func(flag string) string {
		if i := slices.Index(s.args, flag); i >= 0 && i+1 < len(s.args) {
			return s.args[i+1]
		}
		return ""
	}
	if got, want := arg("--store"), "redis://valkey:6379/0"; got != want {
		t.Errorf("--store %q, want %q (the Valkey Service)", got, want)
	}
	if port := all["Service/valkey"].value("port:"); port != "6379" {
		t.Errorf("the Valkey Service listens on %q", port)
	}
	secret := all["Secret/composio-proxy-mcp"]
	for _, d := range []doc{dep, all["Deployment/valkey"]} {
		for i, l := range d {
			if l == "secretKeyRef:" {
				key := d[i+1:].value("key:")
				if secret.value(key+":") == "" {
					t.Errorf("secret key %s is not in the Secret", key)
				}
			}
		}
	}
	if !slices.Contains(all["Deployment/valkey"].list("command:"), "$(COMPOSIO_MCP_STORE_PASSWORD)") {
		t.Error("Valkey does not take its password from the Secret the server reads")
	}
	if got := dep.after("readinessProbe:", "path:"); got != "/readyz" {
		t.Errorf("readiness on %q, want /readyz", got)
	}
	if got := dep.after("livenessProbe:", "path:"); got != "/healthz" {
		t.Errorf("liveness on %q, want /healthz", got)
	}
	_, port, _ := strings.Cut(arg("--metrics-listen"), ":")
	if got := dep.value("prometheus.io/port:"); got != port || port == "" || dep.value("prometheus.io/path:") != "/metrics" {
		t.Errorf("scrape annotation port %q, path %q; --metrics-listen port %q", got, dep.value("prometheus.io/path:"), port)
	}
	if n := dep.value("replicas:"); n != "3" {
		t.Errorf("%s replicas", n)
	}
}

// TestSystemdHardening: the unit keeps its sandbox and reads its secrets from
// an EnvironmentFile.
func TestSystemdHardening(t *testing.T) {
	t.Parallel()
	unit := read(t, unitPath)
	for _, want := range []string{"EnvironmentFile=/etc/composio-proxy-mcp/env", "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n", "MemoryDenyWriteExecute=yes"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
}
