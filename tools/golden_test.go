package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// noTenants is a Tenants for tests that only look at definitions.
type noTenants struct{}

func (noTenants) Tenant(context.Context, http.Header) (Tenant, error) {
	panic("a definition test made a call")
}

// serverDefaults is the Config of the server run without flags: results cut
// at the default size and kept, small binaries shown inline.
func serverDefaults() Config {
	return Config{
		Tenants:         noTenants{},
		MaxResultBytes:  DefaultMaxResultBytes,
		Results:         results.New(results.Config{}),
		InlineImagesMax: DefaultInlineImagesMax,
	}
}

// TestSetGoldens pins the definitions tools.New gives clients in every
// configuration that changes them, so that any change to what clients are
// told shows up as a diff. Regenerate with go test ./tools -update.
func TestSetGoldens(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*Config){
		"default":            func(*Config) {},
		"read-only":          func(c *Config) { c.Policy.Methods = ReadOnlyMethods() },
		"allow-toolkits":     func(c *Config) { c.Policy.Toolkits = []string{"gmail", "github"} },
		"dry-run":            func(c *Config) { c.DryRun = true },
		"confirm-writes":     func(c *Config) { c.ConfirmWrites = true },
		"upload-root":        func(c *Config) { c.UploadRoots = []string{"/srv/uploads", "/home/me/shared"} },
		"max-result-bytes-0": func(c *Config) { c.MaxResultBytes, c.Results = 0, nil },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := serverDefaults()
			change(&cfg)
			set, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var defs []any
			for _, st := range set.Tools() {
				defs = append(defs, st.Tool)
			}
			got, err := json.MarshalIndent(map[string]any{"instructions": set.Instructions(), "tools": defs}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/set."+name+".golden.json", got)
		})
	}
}
