// Command composio-proxy-mcp is an MCP server whose proxy_execute tool lets an
// LLM agent call any endpoint of a third-party API (Gmail, GitHub, Slack, …)
// through Composio, which adds the user's connected-account credentials.
//
// It speaks MCP over stdio (the default), SSE or streamable HTTP. Configuration
// comes from flags and environment variables; secrets from the environment
// only. Run with --sandbox to try it against an embedded fake backend.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/doctor"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/logging"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/printconfig"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/stopsignal"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise it
// comes from the module's build information.
var version = ""

func main() {
	ctx := stopsignal.Context("composio-proxy-mcp")
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // --help printed the usage: not a failure
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "composio-proxy-mcp:", err)
		os.Exit(2)
	}
}

// run is the whole program, with its inputs passed in so that tests can drive
// it: it reads no flag, variable or file descriptor of the process itself.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "print-config":
			return printconfig.Run(args[1:], getenv, stdout, stderr)
		case "doctor":
			return doctor.Run(ctx, args[1:], getenv, programVersion(), stdout, stderr)
		}
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Version {
		_, err := fmt.Fprintln(stdout, "composio-proxy-mcp", programVersion())
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := logging.New(stderr, logging.Options{Level: cfg.LogLevel(), NoColor: getenv("NO_COLOR") != "", Secrets: cfg.Secrets()})
	if cfg.APIKey != "" && cfg.UserAPIKey != "" && !cfg.Sandbox {
		logger.Warn("both COMPOSIO_API_KEY and COMPOSIO_USER_API_KEY are set: using the project key (Composio accepts only one)")
	}
	if cfg.Sandbox {
		fake := composiotest.NewServer()
		defer fake.Close()
		cfg.UseSandbox(fake.URL, composiotest.APIKey, composiotest.SessionID)
		logger.Warn("SANDBOX: serving against an embedded fake Composio backend; no real API is called", "backend", fake.URL, "session", cfg.SessionID)
	}

	closeStore, err := cfg.OpenStore(logger)
	if err != nil {
		return err
	}
	defer closeStore()
	set, closeTools, err := buildTools(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeTools()
	s := server.New(cfg.ServerOptions("composio-proxy-mcp", programVersion(), set, logger), set.Tools()...)
	// Start-up leaves garbage behind (mcp-go's dependencies compile JSON
	// meta-schemas in their package init; the tools build their schemas) that
	// would stay resident until enough allocation triggers a GC. Returning it
	// saves about 0.6 MiB of idle RSS in every server process, but the GC
	// cost 1.3-4.7 ms of cold start when it ran before serving: it runs once
	// the handshake is over instead (docs/BENCHMARKS.md).
	defer time.AfterFunc(startupGarbageDelay, debug.FreeOSMemory).Stop()

	if cfg.Transport == "stdio" {
		logger.Info("serving MCP over stdio", "version", programVersion())
		return server.ServeStdio(ctx, s, stdin, stdout, cfg.StdioOptions(logger))
	}
	opts, err := cfg.HTTPOptions(ctx, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	path := "/mcp"
	if cfg.Transport == server.TransportSSE {
		path = "/sse"
	}
	logger.Info("serving MCP over HTTP", "transport", cfg.Transport, "url", "http://"+ln.Addr().String()+path, "version", programVersion(), "auth", cfg.AuthToken != "", "multi_tenant", cfg.MultiTenant, "sign_in", cfg.SignIn())
	return server.ServeHTTP(ctx, s, ln, opts)
}

// startupGarbageDelay is how long after it starts serving the server returns
// its start-up garbage to the OS: past a client's initialize and tools/list
// (10-20 ms after spawn), before the server sits idle.
const startupGarbageDelay = 100 * time.Millisecond

// programVersion is the version the server reports, in --version, doctor
// and the MCP handshake.
func programVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
