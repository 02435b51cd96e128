package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// config is everything the program is told at start, from flags and the
// environment. Secrets come from the environment only: argv is visible to
// every user of the machine (ps, /proc) and lands in shell histories.
type config struct {
	apiKey, userAPIKey string
	authToken          string

	baseURL   string
	sessionID string
	transport string
	listen    string
	timeout   time.Duration
	logLevel  string
	sandbox   bool
	version   bool

	allowedOrigins  []string
	maxRequestBytes int64
}

// envPrefix is the prefix of the environment variable that backs each flag
// without a Composio name of its own: --x-y reads COMPOSIO_MCP_X_Y.
const envPrefix = "COMPOSIO_MCP_"

// envNames maps flags to the names Composio's own SDKs use.
var envNames = map[string]string{
	"base-url":   "COMPOSIO_BASE_URL",
	"session-id": "COMPOSIO_SESSION_ID",
}

func envName(flagName string) string {
	if n, ok := envNames[flagName]; ok {
		return n
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags from args and the environment through getenv; a flag
// on the command line wins over its environment variable.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("composio-proxy-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.transport, "transport", "stdio", "MCP transport: stdio, sse or http (streamable HTTP)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address for the sse and http transports (host:port; a bare :port is refused)")
	fs.StringVar(&c.baseURL, "base-url", "https://backend.composio.dev", "Composio API base URL")
	fs.StringVar(&c.sessionID, "session-id", "", "Composio tool-router session id (trs_…)")
	fs.DurationVar(&c.timeout, "timeout", 50*time.Second, "timeout of each call to Composio")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error (logs go to stderr)")
	fs.BoolVar(&c.sandbox, "sandbox", false, "serve against an embedded fake Composio backend on loopback; needs no API key")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.Func("allowed-origins", "comma-separated browser origins allowed on the HTTP transports, besides localhost ones", func(s string) error {
		c.allowedOrigins = splitList(s)
		return nil
	})
	fs.Int64Var(&c.maxRequestBytes, "max-request-bytes", 8<<20, "largest HTTP request body accepted")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: composio-proxy-mcp [flags]\n\nAn MCP server whose proxy_execute tool calls third-party APIs through Composio.\n\n"+
			"Environment: COMPOSIO_API_KEY or COMPOSIO_USER_API_KEY (secrets: environment only), COMPOSIO_MCP_AUTH_TOKEN;\n"+
			"every flag --x-y also reads COMPOSIO_MCP_X_Y (COMPOSIO_BASE_URL, COMPOSIO_SESSION_ID for those two); a flag wins.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags start with --; secrets go in environment variables)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "version" {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.apiKey = strings.TrimSpace(getenv("COMPOSIO_API_KEY"))
	c.userAPIKey = strings.TrimSpace(getenv("COMPOSIO_USER_API_KEY"))
	c.authToken = strings.TrimSpace(getenv("COMPOSIO_MCP_AUTH_TOKEN"))
	return c, nil
}

// validate checks what flags alone cannot: the combination of settings.
func (c *config) validate() error {
	switch c.transport {
	case "stdio", "sse", "http":
	default:
		return fmt.Errorf("--transport %q: want stdio, sse or http", c.transport)
	}
	if c.timeout <= 0 {
		return fmt.Errorf("--timeout %s: want a positive duration such as 50s", c.timeout)
	}
	if c.maxRequestBytes <= 0 {
		return fmt.Errorf("--max-request-bytes %d: want a positive number of bytes", c.maxRequestBytes)
	}
	if c.transport != "stdio" {
		host, _, err := net.SplitHostPort(c.listen)
		if err != nil {
			return fmt.Errorf("--listen %q: want host:port, such as 127.0.0.1:8080", c.listen)
		}
		if host == "" {
			return fmt.Errorf("--listen %q binds every interface; name a host, such as 127.0.0.1%s", c.listen, c.listen)
		}
	}
	if c.sandbox {
		return nil
	}
	if c.apiKey == "" && c.userAPIKey == "" {
		return errors.New("set COMPOSIO_API_KEY (your Composio project API key, ak_…) in the environment, or run with --sandbox to try the server without one")
	}
	if c.sessionID == "" {
		return errors.New("set COMPOSIO_SESSION_ID (or --session-id) to your tool-router session id (trs_…), or run with --sandbox to try the server without one")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
