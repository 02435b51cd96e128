package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestPolicyEndToEnd starts the binary with an agent policy and checks that the
// tool advertises it and that calls outside it never reach Composio.
func TestPolicyEndToEnd(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	ctx := testContext(t, 30*time.Second)
	c, _ := stdioClient(t, ctx, append(serverEnv(fake.URL), "COMPOSIO_MCP_ALLOW_TOOLKITS=github,gmail"), "--read-only", "--rate-limit", "5")
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// tools/list is sorted by name and holds the companion tools too.
	var tool mcp.Tool
	for _, tl := range list.Tools {
		if tl.Name == "proxy_execute" {
			tool = tl
		}
	}
	schema, _ := json.Marshal(tool.InputSchema)
	for _, want := range []string{`"enum":["GET","HEAD"]`, `"enum":["github","gmail"]`} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("schema lacks %s: %s", want, schema)
		}
	}
	if a := tool.Annotations; a.ReadOnlyHint == nil || !*a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint {
		t.Errorf("annotations = %+v", a)
	}

	refused := []map[string]any{
		{"toolkit_slug": "github", "endpoint": "/user/repos", "method": "POST", "body": map[string]any{}},
		{"toolkit_slug": "slack", "endpoint": "/x", "method": "GET"},
		{"toolkit_slug": "github", "endpoint": "https://attacker.example/collect", "method": "GET"},
		{"toolkit_slug": "github", "endpoint": "/user", "method": "GET",
			"parameters": []any{map[string]any{"name": "Authorization", "value": "Bearer stolen", "type": "header"}}},
	}
	for _, args := range refused {
		res, err := callTool(ctx, c, args)
		if err != nil {
			t.Fatal(err)
		}
		if !res.IsError || !strings.Contains(resultText(res), "refused by this server's policy") {
			t.Errorf("%v: not refused: %s", args, resultText(res))
		}
	}
	if n := len(fake.ProxyRequests()); n != 0 {
		t.Fatalf("%d refused calls reached Composio", n)
	}

	// The rate limit (5 per minute) counts every call, refused or not.
	res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
	if err != nil || res.IsError {
		t.Fatalf("allowed call: %v %v", err, res)
	}
	res, err = callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
	if err != nil || !res.IsError || !strings.Contains(resultText(res), "Rate limit") {
		t.Fatalf("6th call in a minute: %v %s", err, resultText(res))
	}
	if n := len(fake.ProxyRequests()); n != 1 {
		t.Errorf("%d calls reached Composio, want 1", n)
	}
}
