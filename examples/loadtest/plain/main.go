// Command plain is the yardstick of the load test's start-up scenario: an
// mcp-go stdio server written the way mcp-go's examples write one, with no
// code of this project. It registers the tools and instructions that
// composio-proxy-mcp lists (same names, descriptions and schema bytes, read
// from the JSON file named by its one argument, which the load test writes
// from the server's own answers) and answers initialize and tools/list as
// mcp-go does. Every tool does the job the way the shortest program would:
// it POSTs the call's arguments to Composio's proxy_execute endpoint of
// COMPOSIO_SESSION_ID at COMPOSIO_BASE_URL with net/http and returns the
// answer as text. So its binary holds what the job needs (an HTTPS client),
// as ours does, and start-up is what differs.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// definition is what the plain server serves: the instructions of the
// initialize answer and the tools of the tools/list answer.
type definition struct {
	Instructions string `json:"instructions"`
	Tools        []struct {
		Name         string             `json:"name"`
		Description  string             `json:"description"`
		InputSchema  json.RawMessage    `json:"inputSchema"`
		OutputSchema json.RawMessage    `json:"outputSchema"`
		Annotations  mcp.ToolAnnotation `json:"annotations"`
	} `json:"tools"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plain TOOLS.json")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var def definition
	if err := json.Unmarshal(b, &def); err != nil {
		fmt.Fprintln(os.Stderr, os.Args[1]+":", err)
		os.Exit(1)
	}
	s := server.NewMCPServer("plain", "1.0.0",
		server.WithToolCapabilities(false),
		server.WithInstructions(def.Instructions),
	)
	f := forwarder{
		url:    os.Getenv("COMPOSIO_BASE_URL") + "/api/v3/tool_router/session/" + os.Getenv("COMPOSIO_SESSION_ID") + "/proxy_execute",
		apiKey: os.Getenv("COMPOSIO_API_KEY"),
	}
	for _, t := range def.Tools {
		tool := mcp.NewToolWithRawSchema(t.Name, t.Description, t.InputSchema)
		tool.RawOutputSchema = t.OutputSchema
		tool.Annotations = t.Annotations
		s.AddTool(tool, f.forward)
	}
	if err := server.ServeStdio(s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// forwarder sends a call's arguments to Composio.
type forwarder struct {
	url, apiKey string
}

// forward is every tool's handler.
func (f forwarder) forward(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(req.Params.RawArguments))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("x-api-key", f.apiKey)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	return mcp.NewToolResultText(string(body)), nil
}
