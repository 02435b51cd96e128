package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
)

// TestAuditDescribesRefusedCalls: a call refused before anything was sent
// is audited as the model asked for it, from the record the argument
// decoder fills; the middleware reads no argument itself.
func TestAuditDescribesRefusedCalls(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	api := &fakeAPI{proxy: &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{}`)}}
	set, err := New(Config{Tenants: single(api), Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range set.Tools() {
		args := map[string]string{
			ProxyExecuteName:   `{"toolkit_slug":"github","endpoint":"/x?q=1","method":"FETCH"}`,
			ListToolkitsName:   `{"bogus":1}`,
			ConnectToolkitName: `{"toolkit":1}`,
		}[st.Tool.Name]
		var req mcp.CallToolRequest
		req.Params.RawArguments = json.RawMessage(args)
		if _, err := st.Handler(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d audit lines, want 3:\n%s", len(lines), raw)
	}
	for _, line := range lines {
		var e struct {
			Tool, Toolkit, Method, Outcome string
			Attempts                       int
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Outcome != audit.OutcomeRejected || e.Attempts != 0 {
			t.Errorf("entry %s: want a rejected call with no attempt", line)
		}
		if e.Tool == ProxyExecuteName && (e.Toolkit != "github" || e.Method != "FETCH") {
			t.Errorf("proxy_execute entry %s: want the toolkit and method as asked for", line)
		}
	}
}
