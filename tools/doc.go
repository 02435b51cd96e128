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
//
// Beside proxy_execute, two companion tools get it working: list_toolkits
// (which toolkits the session has, and which are connected) and
// connect_toolkit (a link the user opens to connect an account). All three
// find their client and session through Tenants: one fixed tenant, whose
// session is renewed on expiry, or, on a multi-tenant server, the caller's
// own credentials from the request's HTTP headers.
//
//	tenants := tools.SingleTenant{Client: c, Sessions: sessionManager}
//	p := &tools.Proxy{Tenants: tenants, ConnectTool: tools.ConnectToolkitName}
//	l := &tools.ListToolkits{Tenants: tenants, ConnectTool: tools.ConnectToolkitName}
//	ct := &tools.ConnectToolkit{Tenants: tenants}
package tools
