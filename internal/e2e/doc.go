// Package e2e holds the black-box tests of the built composio-proxy-mcp
// binary: TestMain builds it once, and one harness (launch, proc) runs it
// over stdio or HTTP, against the fake Composio of client/composiotest on
// loopback, as an MCP client would.
//
// The package has no code outside its tests; this file carries the package
// documentation.
package e2e
