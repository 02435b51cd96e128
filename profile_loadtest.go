//go:build loadtestprofile

// Built with -tags loadtestprofile (examples/loadtest -profile), the server
// records start-up profiles: see internal/loadprofile. It never ships.

package main

import _ "github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loadprofile"
