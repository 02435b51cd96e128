// Package launch holds what the example clients share: starting the server
// binary as their subprocess and initializing it over stdio, with a clean
// environment for the sandbox and the end of the server's log kept to
// explain a failure, and the main function around their run.
package launch

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Main runs run with the process's arguments and streams, until an interrupt
// cancels it, and exits 1 if it fails, saying why under name unless the
// failure is -help.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, name+":", err)
		}
		os.Exit(1)
	}
}

// Options says how Start runs the server.
type Options struct {
	// Args are the server's command-line arguments.
	Args []string
	// Sandbox starts the server without the caller's COMPOSIO_* variables:
	// settings meant for a real deployment (COMPOSIO_MCP_TRANSPORT=http, say)
	// would otherwise change the sandbox the example expects. Otherwise the
	// server inherits the environment, which is how COMPOSIO_API_KEY and
	// COMPOSIO_USER_ID reach it.
	Sandbox bool
	// Verbose, when not nil, gets a copy of the server's log as it comes.
	Verbose io.Writer
	// Client names the example in the initialize handshake.
	Client string
	// Elicitation, when set, answers the server's elicitation requests, and
	// the client declares URL-mode elicitation (MCP 2025-11-25), as a client
	// that can show the person a link does.
	Elicitation mcpclient.ElicitationHandler
}

// Server is the server subprocess, initialized, and the MCP client that
// talks to it over stdio. Close ends both.
type Server struct {
	*mcpclient.Client
	// Info is the server's answer to initialize.
	Info *mcp.InitializeResult
	// Tools are the tools it lists.
	Tools []mcp.Tool
	log   *Tail
}

// Log returns the end of the server's log (its stderr).
func (s *Server) Log() string { return s.log.String() }

// Describe writes what the server said of itself and the tools it lists, one
// line each, their values starting at column width.
func (s *Server) Describe(w io.Writer, width int) {
	fmt.Fprintf(w, "%-*s%s %s, MCP protocol %s\n", width, "server:", s.Info.ServerInfo.Name, s.Info.ServerInfo.Version, s.Info.ProtocolVersion)
	for _, t := range s.Tools {
		fmt.Fprintf(w, "%-*s%s (%s)\n", width, "tool:", t.Name, t.Title)
	}
}

// Start starts bin, initializes it and lists its tools. When the server does not come up (it
// exits at once, say, for want of an API key), the error carries the end of
// its log, which says why.
func Start(ctx context.Context, bin string, o Options) (*Server, error) {
	log := &Tail{}
	var logTo io.Writer = log
	if o.Verbose != nil {
		logTo = io.MultiWriter(log, o.Verbose)
	}
	opts := []transport.StdioOption{transport.WithCommandStderrWriter(logTo)}
	if o.Sandbox {
		opts = append(opts, transport.WithCommandFunc(sandboxCommand))
	}
	var copts []mcpclient.ClientOption
	if o.Elicitation != nil {
		copts = append(copts, mcpclient.WithElicitationHandler(o.Elicitation))
	}
	c := mcpclient.NewClient(transport.NewStdioWithOptions(bin, nil, o.Args, opts...), copts...)
	// The client's Start starts the process and, unlike the transport's,
	// routes the server's requests (elicitation) to the handler.
	if err := c.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	var init mcp.InitializeRequest
	if o.Elicitation != nil {
		init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{URL: &struct{}{}}
	}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: o.Client, Version: "1.0.0"}
	info, err := c.Initialize(ctx, init)
	if err != nil {
		_ = c.Close() // waits for the server to exit, so its log is complete
		return nil, fmt.Errorf("initialize: %w\nserver log:\n  %s", err, strings.ReplaceAll(strings.TrimRight(log.String(), "\n"), "\n", "\n  "))
	}
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	return &Server{Client: c, Info: info, Tools: tools.Tools, log: log}, nil
}

// sandboxCommand is the transport.WithCommandFunc of Options.Sandbox.
func sandboxCommand(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	for _, kv := range append(os.Environ(), env...) {
		if !strings.HasPrefix(kv, "COMPOSIO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd, nil
}

// tailKeep is how much of the log a tail keeps: enough to explain a failed
// start.
const tailKeep = 4 << 10

// Tail is an io.Writer that keeps the last few KB written to it. The
// server's stderr is written from another goroutine, so it is safe for
// concurrent use.
type Tail struct {
	mu  sync.Mutex
	buf []byte
}

func (b *Tail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailKeep {
		b.buf = b.buf[len(b.buf)-tailKeep:]
	}
	return len(p), nil
}

func (b *Tail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
