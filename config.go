package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
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

	// stdio's bounded drain and queue (see server.StdioOptions).
	stdioWriteGrace time.Duration
	stdioQueueBytes int64

	// Caps of the HTTP transports (see server.HTTPOptions).
	maxConnections     int
	maxInflight        int
	readTimeout        time.Duration
	maxSessions        int
	sessionIdleTimeout time.Duration
	maxStreams         int

	// Agent policy.
	allowToolkits             []string
	allowMethods              []string
	readOnly                  bool
	allowAbsoluteURLs         bool
	allowCustomConnectionData bool

	// rateLimit is tool calls per minute per MCP session; -1 means the
	// transport's default (off on stdio, 600 on HTTP).
	rateLimit  int
	maxRetries int

	// Caps on requests to Composio in flight at once: in the process, and
	// for one Composio credential.
	maxUpstreamCalls, maxUpstreamCallsPerCaller int

	// Sessions, companion tools and operation (see operator.go).
	userID      string
	toolkits    []string
	tools       []string
	auditLog    string
	multiTenant bool

	// Large results, inline downloads, uploads, dry run, confirmation
	// (see features.go).
	features featureConfig
}

// envPrefix is the prefix of the environment variable that backs each flag
// without a Composio name of its own: --x-y reads COMPOSIO_MCP_X_Y.
const envPrefix = "COMPOSIO_MCP_"

// envNames maps flags to the names Composio's own SDKs use.
var envNames = map[string]string{
	"base-url":   "COMPOSIO_BASE_URL",
	"session-id": "COMPOSIO_SESSION_ID",
	"user-id":    "COMPOSIO_USER_ID",
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
	fs.DurationVar(&c.timeout, "timeout", 50*time.Second, "timeout of each call to Composio, retries included")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error (logs go to stderr)")
	fs.BoolVar(&c.sandbox, "sandbox", false, "serve against an embedded fake Composio backend on loopback; needs no API key")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.Func("allowed-origins", "comma-separated browser origins allowed on the HTTP transports, besides localhost ones", func(s string) error {
		c.allowedOrigins = splitList(s)
		return nil
	})
	fs.Int64Var(&c.maxRequestBytes, "max-request-bytes", 8<<20, "largest request accepted: an HTTP request body, or one JSON-RPC line on stdio")
	fs.IntVar(&c.maxConnections, "max-connections", server.DefaultMaxConnections, "HTTP connections open at once; past it, new ones wait to be accepted")
	fs.IntVar(&c.maxInflight, "max-inflight", server.DefaultMaxInflight, "HTTP requests and tool calls in flight at once; past it, 503 with Retry-After")
	fs.DurationVar(&c.readTimeout, "read-timeout", server.DefaultReadTimeout, "time to read a whole HTTP request body; past it, the connection is closed")
	fs.IntVar(&c.maxSessions, "max-sessions", server.DefaultMaxSessions, "streamable HTTP sessions held at once; past it, initialize gets 503 with Retry-After")
	fs.DurationVar(&c.sessionIdleTimeout, "session-idle-timeout", server.DefaultSessionIdleTimeout, "how long a streamable HTTP session without an open stream is kept after its last request")
	fs.IntVar(&c.maxStreams, "max-streams", server.DefaultMaxStreams, "event streams (GET /sse, GET /mcp) open at once; past it, 503 with Retry-After")
	fs.Func("allow-toolkits", "comma-separated toolkit slugs proxy_execute may call (default: all)", func(s string) error {
		c.allowToolkits = nil
		for _, t := range splitList(s) {
			c.allowToolkits = append(c.allowToolkits, strings.ToLower(t))
		}
		return nil
	})
	fs.Func("allow-methods", "comma-separated HTTP methods proxy_execute may use (default: all)", func(s string) error {
		c.allowMethods = nil
		for _, m := range splitList(s) {
			c.allowMethods = append(c.allowMethods, strings.ToUpper(m))
		}
		return nil
	})
	fs.BoolVar(&c.readOnly, "read-only", false, "allow only GET and HEAD")
	fs.BoolVar(&c.allowAbsoluteURLs, "allow-absolute-urls", false, "allow endpoints that are absolute URLs (the user's credential goes to the host named)")
	fs.BoolVar(&c.allowCustomConnectionData, "allow-custom-connection-data", false, "allow custom_connection_data (raw credentials; deprecated by Composio)")
	fs.IntVar(&c.rateLimit, "rate-limit", -1, "tool calls per minute per MCP session; 0 turns it off (default: off on stdio, 600 on sse and http)")
	fs.IntVar(&c.maxRetries, "max-retries", 2, "retries of a call Composio did not execute (429, refused connection) or of a read that failed in transit")
	fs.IntVar(&c.maxUpstreamCalls, "max-upstream-calls", 64, "most requests to Composio in flight at once in this process; past it a call waits for a slot for up to half of --timeout, then is answered that the server is busy")
	fs.IntVar(&c.maxUpstreamCallsPerCaller, "max-upstream-calls-per-caller", 0, "most requests to Composio in flight at once for one Composio credential (each caller's key with --multi-tenant); 0: 16 with --multi-tenant, else --max-upstream-calls (one credential), never more than --max-upstream-calls")
	fs.DurationVar(&c.stdioWriteGrace, "stdio-write-grace", server.DefaultStdioWriteGrace, "on stdio, after stdin closes or a signal: how long an answer may wait for the client to read stdout before the rest are dropped and the process exits")
	fs.Int64Var(&c.stdioQueueBytes, "stdio-queue-bytes", 0, "on stdio, the bytes of tool calls read and not yet answered; past it, reading stdin waits (0: 64 MiB or 4 × --max-request-bytes, whichever is larger)")
	c.addOperatorFlags(fs)
	c.addFeatureFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: composio-proxy-mcp [flags]\n       composio-proxy-mcp print-config [claude-desktop|cursor|vscode|claude-code] [flags]\n       composio-proxy-mcp doctor [flags]\n\nAn MCP server whose proxy_execute tool calls third-party APIs through Composio.\n\n"+
			"Environment: COMPOSIO_API_KEY or COMPOSIO_USER_API_KEY (secrets: environment only), COMPOSIO_MCP_AUTH_TOKEN;\n"+
			"every flag --x-y also reads COMPOSIO_MCP_X_Y (COMPOSIO_BASE_URL, COMPOSIO_SESSION_ID, COMPOSIO_USER_ID for those three); a flag wins.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if n := fs.NArg(); n > 0 {
		// Not echoed: a key pasted on the command line is the usual cause.
		what := "1 unexpected argument"
		if n > 1 {
			what = fmt.Sprintf("%d unexpected arguments", n)
		}
		return nil, fmt.Errorf("%s after the flags, not shown here since it may be a secret: flags take --name=value (a value after a boolean flag is not its value), and secrets go in environment variables", what)
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
	if c.maxRetries < 0 || c.maxRetries > 10 {
		return fmt.Errorf("--max-retries %d: want 0 to 10", c.maxRetries)
	}
	if c.maxUpstreamCalls < 1 || c.maxUpstreamCalls > 100000 {
		return fmt.Errorf("--max-upstream-calls %d: want 1 to 100000", c.maxUpstreamCalls)
	}
	if c.maxUpstreamCallsPerCaller < 0 || c.maxUpstreamCallsPerCaller > c.maxUpstreamCalls {
		return fmt.Errorf("--max-upstream-calls-per-caller %d: want 1 to --max-upstream-calls (%d), or 0 for the default", c.maxUpstreamCallsPerCaller, c.maxUpstreamCalls)
	}
	if c.rateLimit < -1 {
		return fmt.Errorf("--rate-limit %d: want a number of calls per minute, or 0 for no limit", c.rateLimit)
	}
	if err := c.policy().Validate(); err != nil {
		return fmt.Errorf("--allow-methods: %w", err)
	}
	if c.readOnly && len(c.allowMethods) > 0 && !slices.ContainsFunc(c.allowMethods, func(m string) bool { return slices.Contains(tools.ReadOnlyMethods(), m) }) {
		return fmt.Errorf("--read-only with --allow-methods %s leaves no method allowed", strings.Join(c.allowMethods, ","))
	}
	if c.maxRequestBytes <= 0 {
		return fmt.Errorf("--max-request-bytes %d: want a positive number of bytes", c.maxRequestBytes)
	}
	if c.stdioWriteGrace <= 0 {
		return fmt.Errorf("--stdio-write-grace %s: want a positive duration such as 5s", c.stdioWriteGrace)
	}
	if c.stdioQueueBytes < 0 {
		return fmt.Errorf("--stdio-queue-bytes %d: want a number of bytes, or 0 for the default", c.stdioQueueBytes)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"max-connections", c.maxConnections}, {"max-inflight", c.maxInflight}, {"max-sessions", c.maxSessions}, {"max-streams", c.maxStreams}} {
		if n.v <= 0 {
			return fmt.Errorf("--%s %d: want a positive number", n.name, n.v)
		}
	}
	if c.readTimeout <= 0 || c.sessionIdleTimeout <= 0 {
		return fmt.Errorf("--read-timeout %s, --session-idle-timeout %s: want positive durations such as 30s and 10m", c.readTimeout, c.sessionIdleTimeout)
	}
	if c.transport == server.TransportSSE && c.features.confirmWrites {
		// mcp-go's SSE transport cannot send a request to the client, so a
		// confirmation could never be asked and every write would be refused.
		return errors.New("--confirm-writes needs a transport that can ask the client (MCP elicitation): the sse transport cannot; use --transport http or stdio")
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
	if err := c.validateOperator(); err != nil {
		return err
	}
	if err := c.validateFeatures(); err != nil {
		return err
	}
	if c.sandbox || c.multiTenant {
		return nil
	}
	if c.apiKey == "" && c.userAPIKey == "" {
		return errors.New("set COMPOSIO_API_KEY (your Composio project API key, ak_…) in the environment, or run with --sandbox to try the server without one")
	}
	if c.sessionID == "" && c.userID == "" {
		return errors.New("set COMPOSIO_USER_ID (or --user-id) so that the server creates its own tool-router session, or COMPOSIO_SESSION_ID (or --session-id) to an existing one (trs_…), or run with --sandbox to try the server without either")
	}
	return nil
}

// policy is the agent policy the flags describe. --read-only narrows any
// --allow-methods list to its reading methods.
func (c *config) policy() tools.Policy {
	p := tools.Policy{
		Toolkits:                  c.allowToolkits,
		Methods:                   c.allowMethods,
		AllowAbsoluteURLs:         c.allowAbsoluteURLs,
		AllowCustomConnectionData: c.allowCustomConnectionData,
	}
	if c.readOnly {
		if len(p.Methods) == 0 {
			p.Methods = tools.ReadOnlyMethods()
		} else {
			var ro []string
			for _, m := range p.Methods {
				if slices.Contains(tools.ReadOnlyMethods(), m) {
					ro = append(ro, m)
				}
			}
			if len(ro) == 0 {
				// validate refuses this combination; should it get here, the
				// stricter setting wins.
				ro = tools.ReadOnlyMethods()
			}
			p.Methods = ro
		}
	}
	return p
}

// rateLimitPerMinute resolves the transport default of --rate-limit.
func (c *config) rateLimitPerMinute() int {
	if c.rateLimit >= 0 {
		return c.rateLimit
	}
	if c.transport == "stdio" {
		return 0
	}
	return 600
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

// upstreamCallsPerCaller is --max-upstream-calls-per-caller with its default
// resolved: without --multi-tenant every call uses the server's one
// credential, so a lower per-caller cap would silently be the process's cap.
func (c *config) upstreamCallsPerCaller() int {
	switch {
	case c.maxUpstreamCallsPerCaller > 0:
		return c.maxUpstreamCallsPerCaller
	case c.multiTenant:
		return min(16, c.maxUpstreamCalls)
	default:
		return c.maxUpstreamCalls
	}
}
