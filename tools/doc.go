// Package tools defines the MCP tools of composio-proxy-mcp and maps what
// Composio answers onto tool results.
//
// New builds the tools a Config names, from a table with a row per tool
// (name, constructor, what the server's instructions say about it); a new
// tool is one file, one row and a golden file of its definition.
//
//	set, err := tools.New(tools.Config{Client: c, Sessions: sessionManager, Logger: logger})
//	srv := server.New(server.Options{Instructions: base + set.Instructions()}, set.Tools()...)
//
// Beside proxy_execute, two companion tools get it working: list_toolkits
// (which toolkits the session has, and which are connected) and
// connect_toolkit (a link the user opens to connect an account). All three
// find their client and session through Tenants: one fixed tenant, whose
// session is renewed on expiry, or, on a multi-tenant server, the caller's
// own credentials from the request's HTTP headers.
//
// A proxy_execute call goes through a short pipeline of small steps, each
// holding its own dependencies: the arguments (decoded once, a local file
// for binary_body included), the Policy, the confirmation, then the dry run
// or the request itself, and the shaping of the answer into a result (cut
// when too large, small binaries shown inline).
//
// # Error policy
//
// Everything a model or a person can act on is a tool result with isError
// set and a message that says what happened and what to do next: bad
// arguments, a call the Policy refuses, missing credentials, an error status
// from the third-party API, an error from Composio, a network failure, a
// timeout. Every failed Composio call, of any tool, is rendered by one
// function, ErrorText's, so that all tools say the same about the same error
// (Retry-After included). A Go error from a handler, which MCP clients see
// as a JSON-RPC protocol error, is kept for faults in this program itself: a
// tool wired without Tenants, a result that cannot be encoded.
//
// Every result carries a text block with the same information as its
// structuredContent, because some clients show only one of the two.
package tools
