// Command goclient is a minimal MCP client for composio-proxy-mcp, written with
// mcp-go's client package: it starts the server binary as a subprocess, talks
// to it over stdio, lists its tools, calls proxy_execute once and prints the
// result. Copy it as the starting point of a Go agent or orchestrator.
//
// Against the embedded sandbox (no Composio account needed):
//
//	go build -o /tmp/composio-proxy-mcp .
//	go run ./examples/goclient -server /tmp/composio-proxy-mcp -sandbox
//
// Against Composio, with the credentials in the environment, which the server
// inherits (secrets never go on a command line):
//
//	export COMPOSIO_API_KEY=ak_… COMPOSIO_USER_ID=user_123
//	go run ./examples/goclient -server /tmp/composio-proxy-mcp \
//		-toolkit gmail -endpoint /gmail/v1/users/me/profile
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/examples/internal/launch"
)

func main() { launch.Main("goclient", run) }

// run is the whole program, with its inputs passed in so that a test can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("goclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "composio-proxy-mcp", "server binary: a path, or a name looked up on PATH")
	sandbox := fs.Bool("sandbox", false, "start the server with --sandbox (embedded fake Composio; no API key needed)")
	toolkit := fs.String("toolkit", "github", "toolkit_slug of the call")
	endpoint := fs.String("endpoint", "/user", "endpoint of the call, relative to the toolkit's API base URL")
	method := fs.String("method", "GET", "HTTP method of the call")
	body := fs.String("body", "", `optional JSON object sent as the request body, e.g. '{"name":"x"}'`)
	timeout := fs.Duration("timeout", 60*time.Second, "time allowed for the whole session")
	verbose := fs.Bool("v", false, "copy the server's log (its stderr) to this program's stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	path, err := exec.LookPath(*server)
	if err != nil {
		return fmt.Errorf("server binary %q: %w (build it with go build -o <path> . in the repository, then pass -server <path>)", *server, err)
	}
	var serverArgs []string
	if *sandbox {
		serverArgs = append(serverArgs, "--sandbox")
	}

	arguments := map[string]any{"toolkit_slug": *toolkit, "endpoint": *endpoint, "method": *method}
	if *body != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(*body), &obj); err != nil {
			return fmt.Errorf("-body: want a JSON object: %w", err)
		}
		arguments["body"] = obj
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	// The server logs to its stderr: the end of the log explains a failed
	// start, and -v shows it as it comes. Without -sandbox the server
	// inherits this process's environment: that is how COMPOSIO_API_KEY and
	// COMPOSIO_USER_ID reach it.
	o := launch.Options{Args: serverArgs, Sandbox: *sandbox, Client: "goclient"}
	if *verbose {
		o.Verbose = stderr
	}
	c, err := launch.Start(ctx, path, o)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Describe(stdout, 8)

	req := mcp.CallToolRequest{}
	req.Params.Name = "proxy_execute"
	req.Params.Arguments = arguments
	call, _ := json.Marshal(arguments)
	fmt.Fprintf(stdout, "call:   proxy_execute %s\n", call)
	res, err := c.CallTool(ctx, req)
	if err != nil {
		// A protocol error: the server could not run the tool at all. Failures of
		// the call itself come back as a result with isError set.
		return fmt.Errorf("tools/call: %w", err)
	}
	printResult(stdout, res)
	return nil
}

// printResult shows a tool result as a client would hand it to a model: the
// isError flag, then each content block.
func printResult(w io.Writer, res *mcp.CallToolResult) {
	fmt.Fprintf(w, "isError: %t\n", res.IsError)
	for _, content := range res.Content {
		switch c := content.(type) {
		case mcp.TextContent:
			fmt.Fprintf(w, "text:\n%s\n", indent(c.Text))
		case mcp.ResourceLink:
			size := "unknown size"
			if c.Size != nil {
				size = fmt.Sprintf("%d bytes", *c.Size)
			}
			fmt.Fprintf(w, "resource_link: %s (%s, %s)\n  %s\n  %s\n", c.Name, c.MIMEType, size, c.URI, c.Description)
		default:
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "content: %s\n", b)
		}
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
