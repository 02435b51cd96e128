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
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// serverPackage is built when no -server is given.
const serverPackage = "github.com/composio-proxy-mcp/composio-proxy-mcp"

// scenario is one tool call and the kind of result it must produce.
type scenario struct {
	title, why string
	tool       string // "" means proxy_execute
	args       string // the tool arguments, as an agent would send them
	isError    bool
	want       []string // substrings of the result's text
	link       bool     // a resource_link must come back
	open       bool     // open the result's redirect_url, as the user would
}

var scenarios = []scenario{
	{
		title: "Which APIs can the agent use?",
		why:   "list_toolkits shows the session's toolkits and which have a connected account",
		tool:  "list_toolkits",
		args:  `{}`,
		want:  []string{"github", "slack (Slack): not connected"},
	},
	{
		title: "JSON data from the API",
		why:   "Success: the API's status, body and headers, as text and as structuredContent",
		args:  `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"per_page","value":"5","type":"query"}]}`,
		want:  []string{"HTTP 200", `"per_page":"5"`},
	},
	{
		title: "A write with a JSON body",
		why:   "POST, PUT and PATCH take a JSON object in body; the sandbox echoes what the API received",
		args:  `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"name":"hello-mcp","private":true}}`,
		want:  []string{"HTTP 201", `"name":"hello-mcp"`},
	},
	{
		title: "A binary download",
		why:   "Composio stores binary bodies and returns a signed, expiring URL: it comes back as a resource_link",
		args:  `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`,
		want:  []string{"Binary response: application/pdf", "expires"},
		link:  true,
	},
	{
		title:   "The API answers 404",
		why:     "Composio relays the third-party status inside HTTP 200; status >= 400 becomes isError, with a hint",
		args:    `{"toolkit_slug":"github","endpoint":"/status/404","method":"GET"}`,
		isError: true,
		want:    []string{"HTTP 404", "Hint:"},
	},
	{
		title:   "Composio refuses: account not connected",
		why:     "Composio's own errors keep their slug, code, suggested_fix and request_id, plus what to do next",
		args:    `{"toolkit_slug":"slack","endpoint":"/chat.postMessage","method":"POST","body":{"channel":"C0123","text":"Hello from MCP"}}`,
		isError: true,
		want:    []string{"ToolRouterV2_NoActiveConnection", "Suggested fix:", "What to do:"},
	},
	{
		title: "Connecting the account",
		why:   "connect_toolkit returns a link for the user to open; the demo opens it, as the user would",
		tool:  "connect_toolkit",
		args:  `{"toolkit":"slack"}`,
		want:  []string{"slack"},
		open:  true,
	},
	{
		title: "The same call, now connected",
		why:   "Once the account is connected, the call that failed goes through",
		args:  `{"toolkit_slug":"slack","endpoint":"/chat.postMessage","method":"POST","body":{"channel":"C0123","text":"Hello from MCP"}}`,
		want:  []string{"HTTP 201"},
	},
	{
		title:   "Composio's rate limit",
		why:     "A Composio 429 means the call was not executed; the server retries it, then says how long to wait",
		args:    `{"toolkit_slug":"github","endpoint":"/ratelimit","method":"GET"}`,
		isError: true,
		want:    []string{"HTTP 429", "Wait"},
	},
	{
		title:   "Bad arguments",
		why:     "Arguments are checked field by field before anything is sent",
		args:    `{"toolkit_slug":"github","endpoint":"/user","method":"FETCH"}`,
		isError: true,
		want:    []string{"nothing was sent", "method:"},
	},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "demo:", err)
		}
		os.Exit(1)
	}
}

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

	serverLog := &tailBuffer{}
	var logTo io.Writer = serverLog
	if *verbose {
		logTo = io.MultiWriter(serverLog, stderr)
	}
	c, err := mcpclient.NewStdioMCPClientWithOptions(bin, nil, []string{"--sandbox"},
		transport.WithCommandStderrWriter(logTo),
		transport.WithCommandFunc(sandboxCommand))
	if err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	defer c.Close()

	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "composio-proxy-mcp-demo", Version: "1.0.0"}
	info, err := c.Initialize(ctx, init)
	if err != nil {
		_ = c.Close() // waits for the server to exit, so its log is complete
		return fmt.Errorf("initialize: %w\nserver log:\n%s", err, indent(serverLog.String(), "  "))
	}
	fmt.Fprintf(stdout, "server:  %s %s, MCP protocol %s\n", info.ServerInfo.Name, info.ServerInfo.Version, info.ProtocolVersion)
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	for _, t := range tools.Tools {
		fmt.Fprintf(stdout, "tool:    %s (%s)\n", t.Name, t.Title)
	}

	var failed []string
	var ok, isError int
	for i, sc := range scenarios {
		fmt.Fprintf(stdout, "\n── %d/%d %s %s\n", i+1, len(scenarios), sc.title, strings.Repeat("─", max(3, 56-len(sc.title))))
		fmt.Fprintf(stdout, "%s.\n", sc.why)
		tool := sc.toolName()
		fmt.Fprintf(stdout, "call   %s %s\n", tool, sc.args)
		res, err := callTool(ctx, c, tool, sc.args)
		if err != nil {
			return fmt.Errorf("%s: tools/call: %w\nserver log:\n%s", sc.title, err, indent(serverLog.String(), "  "))
		}
		if res.IsError {
			isError++
		} else {
			ok++
		}
		printResult(ctx, stdout, res)
		if sc.open {
			fmt.Fprintf(stdout, "  the user opens the link: %s\n", openLink(ctx, res))
		}
		if problem := sc.check(res); problem != "" {
			fmt.Fprintf(stdout, "UNEXPECTED: %s\n", problem)
			failed = append(failed, fmt.Sprintf("%d (%s): %s", i+1, sc.title, problem))
		}
	}

	fmt.Fprintln(stdout)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d results were not what the demo expects:\n- %s", len(failed), len(scenarios), strings.Join(failed, "\n- "))
	}
	fmt.Fprintf(stdout, "All %d results as expected: %d successes, %d error results a model can act on.\n", len(scenarios), ok, isError)
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

func (sc scenario) toolName() string {
	if sc.tool == "" {
		return "proxy_execute"
	}
	return sc.tool
}

func callTool(ctx context.Context, c *mcpclient.Client, tool, args string) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = tool
	req.Params.Arguments = json.RawMessage(args)
	return c.CallTool(ctx, req)
}

// printResult shows a tool result as a model receives it: the isError flag,
// then each content block. A download link is fetched, to show it works.
func printResult(ctx context.Context, w io.Writer, res *mcp.CallToolResult) {
	if res.IsError {
		fmt.Fprintln(w, "result isError: true")
	} else {
		fmt.Fprintln(w, "result ok")
	}
	for _, content := range res.Content {
		switch c := content.(type) {
		case mcp.TextContent:
			// Continuation lines line up under the first.
			fmt.Fprintf(w, "  text: %s\n", strings.ReplaceAll(strings.TrimRight(c.Text, "\n"), "\n", "\n        "))
		case mcp.ResourceLink:
			size := "size unknown"
			if c.Size != nil {
				size = fmt.Sprintf("%d bytes", *c.Size)
			}
			fmt.Fprintf(w, "  resource_link: %s (%s, %s)\n    uri: %s\n    %s\n", c.Name, c.MIMEType, size, c.URI, c.Description)
			fmt.Fprintf(w, "    %s\n", fetch(ctx, c.URI))
		default:
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
}

// fetch downloads a resource link as a client would, and describes what came.
func fetch(ctx context.Context, uri string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	head, _, _ := strings.Cut(string(b[:min(len(b), 8)]), "\n")
	return fmt.Sprintf("fetched the link: HTTP %d, %d bytes of %s starting %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"), head)
}

// openLink opens the redirect_url of a connect_toolkit result, which is what
// the user does in a browser; in the sandbox, that connects the account.
func openLink(ctx context.Context, res *mcp.CallToolResult) string {
	sc, _ := res.StructuredContent.(map[string]any)
	uri, _ := sc["redirect_url"].(string)
	if uri == "" {
		return "no redirect_url in the result"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return "HTTP 200: in the sandbox, opening the link connects the account"
}

// check says what is wrong with res for this scenario, or "".
func (sc scenario) check(res *mcp.CallToolResult) string {
	if res.IsError != sc.isError {
		return fmt.Sprintf("isError is %t, want %t", res.IsError, sc.isError)
	}
	var text strings.Builder
	link := false
	for _, content := range res.Content {
		switch c := content.(type) {
		case mcp.TextContent:
			text.WriteString(c.Text)
		case mcp.ResourceLink:
			link = true
		}
	}
	for _, w := range sc.want {
		if !strings.Contains(text.String(), w) {
			return fmt.Sprintf("the text does not mention %q", w)
		}
	}
	if link != sc.link {
		return fmt.Sprintf("resource_link present: %t, want %t", link, sc.link)
	}
	return ""
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// sandboxCommand starts the server without the caller's COMPOSIO_* variables:
// settings meant for a real deployment (COMPOSIO_MCP_TRANSPORT=http, say)
// would otherwise change the sandbox this program expects.
func sandboxCommand(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	for _, kv := range append(os.Environ(), env...) {
		if !strings.HasPrefix(kv, "COMPOSIO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd, nil
}

// tailBuffer keeps the last few KB of the server's log, which arrives from
// another goroutine.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	const keep = 4 << 10
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > keep {
		b.buf = b.buf[len(b.buf)-keep:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
