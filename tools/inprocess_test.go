package tools

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// fakeBackend starts a fake Composio and returns it with a client for it.
func fakeBackend(t *testing.T, opts ...client.Option) (*composiotest.Server, *client.Client) {
	t.Helper()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	c, err := fake.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// inProcess serves p on an MCP server, as main does (resource templates
// included, and the outputSchema enforced so that a result that breaks it
// fails the test), and returns an initialized in-process client.
func inProcess(t *testing.T, p *proxyTool, opts ...mcpclient.ClientOption) *mcpclient.Client {
	t.Helper()
	s := mcpserver.NewMCPServer("test", "0", mcpserver.WithToolCapabilities(false), mcpserver.WithOutputSchemaValidation())
	s.AddTool(p.Tool(), p.Handle)
	if store := p.shape.keep.store; store != nil {
		s.AddResourceTemplates(store.Templates()...)
	}
	c, err := mcpclient.NewInProcessClientWithOptions(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// No version asked for: the client's own preference decides (the newest,
	// 2026-07-28, unless the test pins one with WithProtocolVersion).
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

// protocols are the client options of the two protocol eras: the stateless
// 2026-07-28 core (no server-initiated requests) and the session-based one
// before it.
var protocols = map[string][]mcpclient.ClientOption{
	"2026-07-28": {mcpclient.WithProtocolVersion(mcp.ProtocolVersion20260728)},
	"2025-11-25": {mcpclient.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION)},
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// callArgs calls proxy_execute through c; meta, if not nil, is the request's _meta.
func callArgs(t *testing.T, c *mcpclient.Client, args string, meta *mcp.Meta) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = ProxyExecuteName
	var m map[string]any
	if err := json.Unmarshal([]byte(args), &m); err != nil {
		t.Fatal(err)
	}
	req.Params.Arguments = m
	req.Params.Meta = meta
	res, err := c.CallTool(testContext(t), req)
	if err != nil {
		t.Fatalf("tools/call %s: %v", args, err)
	}
	return res
}

// readResource reads uri through c and returns its one content's bytes.
func readResource(t *testing.T, c *mcpclient.Client, uri string) (mcp.ResourceContents, error) {
	t.Helper()
	var req mcp.ReadResourceRequest
	req.Params.URI = uri
	res, err := c.ReadResource(testContext(t), req)
	if err != nil {
		return nil, err
	}
	if len(res.Contents) != 1 {
		t.Fatalf("%s: %d contents", uri, len(res.Contents))
	}
	return res.Contents[0], nil
}
