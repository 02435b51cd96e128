// Command demo shows what composio-proxy-mcp does, in one command from the
// repository root:
//
//	go run ./examples/demo
//
// It builds the server binary into a temporary directory (or takes -server),
// starts it with --sandbox, which serves against an embedded fake Composio
// backend so that no account or API key is needed, and drives it over stdio
// with mcp-go's client, the way Claude Desktop or an IDE would. It then makes
// one call for each kind of result a model can get from proxy_execute, plus
// the companion tools that list and connect accounts, and prints what the
// model would see.
//
// The demo exits non-zero if any result is not the kind it expects, so it
// doubles as a smoke test of the built binary.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/examples/internal/launch"
)

// serverPackage is built when no -server is given.
const serverPackage = "github.com/composio-proxy-mcp/composio-proxy-mcp"

func main() { launch.Main("demo", run) }

// run is the whole program, with its inputs passed in so that a test can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "server binary to run; empty: go build it into a temporary directory")
	verbose := fs.Bool("v", false, "copy the server's log (its stderr) to this program's stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	fmt.Fprintln(stdout, "composio-proxy-mcp demo: the real server binary, started with --sandbox (an embedded fake")
	fmt.Fprintln(stdout, "Composio on loopback: no account, no API key, nothing leaves this machine) and driven over")
	fmt.Fprintln(stdout, "stdio by an MCP client.")
	fmt.Fprintln(stdout)

	bin := *server
	if bin == "" {
		dir, err := os.MkdirTemp("", "composio-proxy-mcp-demo")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "composio-proxy-mcp")
		if err := build(ctx, bin, stdout); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	o := launch.Options{Args: []string{"--sandbox"}, Sandbox: true, Client: "composio-proxy-mcp-demo"}
	if *verbose {
		o.Verbose = stderr
	}
	c, err := launch.Start(ctx, bin, o)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Describe(stdout, 9)

	var failed []string
	var ok, isError int
	all := scenarios()
	total := len(all) + 1
	stored := "" // the stored result the last call named
	play := func(c *launch.Server, i int, sc scenario) error {
		fmt.Fprintf(stdout, "\n── %d/%d %s %s\n", i+1, total, sc.title, strings.Repeat("─", max(3, 56-len(sc.title))))
		fmt.Fprintf(stdout, "%s.\n", sc.why)
		tool := sc.toolName()
		args := strings.ReplaceAll(sc.args, "{{result}}", stored)
		fmt.Fprintf(stdout, "call   %s %s\n", tool, args)
		res, err := callTool(ctx, c.Client, tool, args)
		if err != nil {
			return fmt.Errorf("%s: tools/call: %w\nserver log:\n%s", sc.title, err, indent(c.Log(), "  "))
		}
		if res.IsError {
			isError++
		} else {
			ok++
		}
		stored = storedResult(res)
		printResult(ctx, stdout, res)
		if sc.open {
			fmt.Fprintf(stdout, "  the user opens the link: %s\n", openLink(ctx, res))
		}
		if problem := sc.check(res); problem != "" {
			fmt.Fprintf(stdout, "UNEXPECTED: %s\n", problem)
			failed = append(failed, fmt.Sprintf("%d (%s): %s", i+1, sc.title, problem))
		}
		return nil
	}
	for i, sc := range all {
		if err := play(c, i, sc); err != nil {
			return err
		}
	}

	// A fresh sandbox, where googlecalendar's account has expired, under a
	// client that can show the person a link (URL-mode elicitation).
	o.Elicitation = &browser{ctx: ctx, out: stdout}
	rc, err := launch.Start(ctx, bin, o)
	if err != nil {
		return err
	}
	defer rc.Close()
	fmt.Fprintln(stdout, "\nA second server, under a client that declares URL-mode elicitation (MCP 2025-11-25):")
	if err := play(rc, len(all), repairScenario()); err != nil {
		return err
	}

	fmt.Fprintln(stdout)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d results were not what the demo expects:\n- %s", len(failed), total, strings.Join(failed, "\n- "))
	}
	fmt.Fprintf(stdout, "All %d results as expected: %d successes, %d error results a model can act on.\n", total, ok, isError)
	fmt.Fprintln(stdout, "Next: README.md shows how to run the server against Composio and add it to your MCP client.")
	return nil
}

// build compiles the server into bin. go run has just compiled the same
// dependencies, so this is quick.
func build(ctx context.Context, bin string, stdout io.Writer) error {
	start := time.Now()
	fmt.Fprintf(stdout, "building: go build -o %s %s\n", bin, serverPackage)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s(run the demo from inside the repository, or pass -server PATH)", serverPackage, err, out)
	}
	fmt.Fprintf(stdout, "built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

func callTool(ctx context.Context, c *mcpclient.Client, tool, args string) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = tool
	req.Params.Arguments = json.RawMessage(args)
	return c.CallTool(ctx, req)
}
