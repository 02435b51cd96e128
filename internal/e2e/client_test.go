package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// The MCP side of the harness: mcp-go clients of a running server and the
// calls the tests make through them.

// initialize negotiates the revision most clients speak today (2025-11-25);
// initializeVersion picks another.
func initialize(t *testing.T, ctx context.Context, c *mcpclient.Client) {
	t.Helper()
	initializeVersion(t, ctx, c, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
}

func initializeVersion(t *testing.T, ctx context.Context, c *mcpclient.Client, version string) {
	t.Helper()
	var req mcp.InitializeRequest
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

// newHTTPClient is an mcp-go client, not started, of a server running the
// HTTP transport tr ("sse" or "http") at addr, sending headers with every
// request, built with opts; a streamable HTTP client goes over hc when it is
// not nil.
func newHTTPClient(tr, addr string, headers map[string]string, hc *http.Client, opts ...mcpclient.ClientOption) (*mcpclient.Client, error) {
	var conn transport.Interface
	var err error
	if tr == "sse" {
		conn, err = transport.NewSSE("http://"+addr+"/sse", transport.WithHeaders(headers))
	} else {
		hopts := []transport.StreamableHTTPCOption{transport.WithHTTPHeaders(headers)}
		if hc != nil {
			hopts = append(hopts, transport.WithHTTPBasicClient(hc))
		}
		conn, err = transport.NewStreamableHTTP("http://"+addr+"/mcp", hopts...)
	}
	if err != nil {
		return nil, err
	}
	return mcpclient.NewClient(conn, opts...), nil
}

// startHTTPClient is newHTTPClient, started; the test's cleanup closes it.
func startHTTPClient(t *testing.T, ctx context.Context, tr, addr string, headers map[string]string, hc *http.Client, opts ...mcpclient.ClientOption) *mcpclient.Client {
	t.Helper()
	c, err := newHTTPClient(tr, addr, headers, hc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// connectHTTP connects an initialized mcp-go client to a server running the
// given HTTP transport ("sse" or "http") at addr, sending headers with every
// request; the test's cleanup closes it.
func connectHTTP(t *testing.T, ctx context.Context, tr, addr string, headers map[string]string) *mcpclient.Client {
	t.Helper()
	c := startHTTPClient(t, ctx, tr, addr, headers, nil)
	initialize(t, ctx, c)
	return c
}

// callTool calls proxy_execute with args.
func callTool(ctx context.Context, c *mcpclient.Client, args map[string]any) (*mcp.CallToolResult, error) {
	return callNamed(ctx, c, "proxy_execute", args)
}

// callNamed calls the tool name with args.
func callNamed(ctx context.Context, c *mcpclient.Client, name string, args any) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

// mustCall calls a tool and fails the test on a protocol error.
func mustCall(t *testing.T, ctx context.Context, c *mcpclient.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := callNamed(ctx, c, name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// resultText is the text content of a tool result.
func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// exchange sends one request as an MCP client would (a JSON body, accepting
// JSON or an event stream), with header added ("Host" sets the host), and
// returns the response and its body, read to the end unless it is an event
// stream answering a GET.
func exchange(t *testing.T, c *http.Client, method, url string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b []byte
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || method != http.MethodGet {
		b, _ = io.ReadAll(resp.Body)
	}
	return resp, string(b)
}
