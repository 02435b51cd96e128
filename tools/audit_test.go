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
			QueryResultName:    `{"result":1}`,
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
	if len(lines) != 4 {
		t.Fatalf("%d audit lines, want 4:\n%s", len(lines), raw)
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

// The companion tools' audit entries name the path of the API version the
// client calls.
func TestAuditNamesTheAPIVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []client.APIVersion{"", client.APIv3, client.APIv31} {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		log, err := audit.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		api := &fakeAPI{proxy: &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{}`)}}
		set, err := New(Config{Tenants: single(api), Audit: log, APIVersion: v, Tools: []string{ListToolkitsName}})
		if err != nil {
			t.Fatal(err)
		}
		var req mcp.CallToolRequest
		req.Params.RawArguments = json.RawMessage(`{}`)
		if _, err := set.Tools()[0].Handler(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		log.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := "/api/v3/tool_router/session/%7Bid%7D/toolkits" // redact.Endpoint escapes the braces
		if v == client.APIv31 {
			want = "/api/v3.1/tool_router/session/%7Bid%7D/toolkits"
		}
		var e struct{ Endpoint string }
		if err := json.Unmarshal(raw, &e); err != nil || e.Endpoint != want {
			t.Errorf("version %q: audit endpoint %q (%v), want %q", v, e.Endpoint, err, want)
		}
	}
}
