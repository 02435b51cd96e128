// Package tools defines the MCP tools of composio-proxy-mcp and maps what
// Composio answers onto tool results.
//
// Error policy: everything a model can act on is a tool result with isError set
// and a message that says what happened and what to do next — bad arguments,
// an error status from the third-party API, an error from Composio, a network
// failure, a timeout. A Go error from a handler (which MCP clients see as a
// JSON-RPC protocol error) is kept for faults in this program itself.
//
// Every result carries a text block with the same information as its
// structuredContent, because some clients show only one of the two.
//
//	p := &tools.Proxy{Client: c, SessionID: "trs_…", Logger: logger}
//	mcpServer.AddTool(p.Tool(), p.Handle)
package tools
