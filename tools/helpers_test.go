package tools

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// testProxy is proxy_execute with cfg, whose calls ex sends in session sessionID.
func testProxy(ex executor, sessionID string, cfg Config) *proxyTool {
	api, ok := ex.(API)
	if !ok {
		api = executorOnly{ex}
	}
	cfg.Tenants = singleTenant{Client: api, Sessions: FixedSession(sessionID)}
	return proxyWith(cfg)
}

// proxyWith is proxy_execute with cfg as it is; Tools names connect_toolkit
// when the tool is to point at it.
func proxyWith(cfg Config) *proxyTool {
	if cfg.ConfirmKey == nil {
		cfg.ConfirmKey = []byte("test key")
	}
	return newProxyTool(newEnv(cfg))
}

func listWith(cfg Config) *listToolkits      { return newListToolkits(newEnv(cfg)) }
func connectWith(cfg Config) *connectToolkit { return newConnectToolkit(newEnv(cfg)) }

// executorOnly makes an API of an executor, for tests of proxy_execute alone.
type executorOnly struct{ executor }

func (executorOnly) ListToolkits(context.Context, string, *client.ListToolkitsOptions) (*client.ToolkitPage, error) {
	panic("not a proxy_execute call")
}

func (executorOnly) CreateLink(context.Context, string, *client.LinkRequest) (*client.Link, error) {
	panic("not a proxy_execute call")
}

// parseArgs decodes proxy_execute's arguments as a server without upload
// roots does.
func parseArgs(raw []byte) (*client.ProxyRequest, error) {
	call, err := argDecoder{}.decode(raw, nil)
	return call.req, err
}

// resultOf is the plain tool result of resp, with no cut.
func resultOf(tb testing.TB, call *client.ProxyRequest, resp *client.ProxyResponse) *mcp.CallToolResult {
	tb.Helper()
	res, err := responseResult(call, resp, 0, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// checkGolden compares got with the golden file, or with -update rewrites it.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./tools -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("definition differs from %s (run go test ./tools -update if intended):\n%s", golden, got)
	}
}
