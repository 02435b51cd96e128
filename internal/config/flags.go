package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/logging"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// flagDef is one row of the flag table.
type flagDef struct {
	name string
	// bind registers the flag on fs, bound to its field of the Config.
	bind func(fs *flag.FlagSet, name, usage string)
	help string
	// env is the flag's environment variable when it is not the one its name
	// gives (COMPOSIO_MCP_X_Y for --x-y); noEnv when it has none.
	env   string
	noEnv bool
	// readme is the default the README's table shows, when it is not the
	// flag's own: a default resolved at start, or said in words.
	readme string
	// check validates the value, alone or against other settings; nil when
	// every value that parses is valid. Validate runs them in table order.
	check func() error
}

// minResultBytes keeps --max-result-bytes from making pages so small that a
// model would need thousands of reads.
const minResultBytes = 1024

// flags is the flag table, bound to c's fields.
func (c *Config) flags() []flagDef {
	return []flagDef{
		{name: "transport", bind: stringFlag(&c.Transport, "stdio"), help: "MCP transport: stdio, sse or http (streamable HTTP)", check: func() error {
			switch c.Transport {
			case "stdio", "sse", "http":
				return nil
			}
			return fmt.Errorf("--transport %q: want stdio, sse or http", c.Transport)
		}},
		{name: "timeout", bind: durationFlag(&c.Timeout, 50*time.Second), help: "timeout of each call to Composio, retries included", check: positive(&c.Timeout, "--timeout %s: want a positive duration such as 50s")},
		{name: "max-retries", bind: intFlag(&c.maxRetries, 2), help: "retries of a call Composio did not execute (429, refused connection) or of a read that failed in transit", check: func() error {
			if c.maxRetries < 0 || c.maxRetries > 10 {
				return fmt.Errorf("--max-retries %d: want 0 to 10", c.maxRetries)
			}
			return nil
		}},
		{name: "max-upstream-calls", bind: intFlag(&c.maxUpstreamCalls, 64), help: "most requests to Composio in flight at once in this process; past it a call waits for a slot for up to half of --timeout, then is answered that the server is busy", check: func() error {
			if c.maxUpstreamCalls < 1 || c.maxUpstreamCalls > 100000 {
				return fmt.Errorf("--max-upstream-calls %d: want 1 to 100000", c.maxUpstreamCalls)
			}
			return nil
		}},
		{name: "max-upstream-calls-per-caller", bind: intFlag(&c.maxUpstreamCallsPerCaller, 0), help: "most requests to Composio in flight at once for one Composio credential (each caller's key with --multi-tenant); 0: 16 with --multi-tenant, else --max-upstream-calls (one credential), never more than --max-upstream-calls",
			readme: "`16` with `--multi-tenant`, else `--max-upstream-calls`", check: func() error {
				if c.maxUpstreamCallsPerCaller < 0 || c.maxUpstreamCallsPerCaller > c.maxUpstreamCalls {
					return fmt.Errorf("--max-upstream-calls-per-caller %d: want 1 to --max-upstream-calls (%d), or 0 for the default", c.maxUpstreamCallsPerCaller, c.maxUpstreamCalls)
				}
				return nil
			}},
		{name: "rate-limit", bind: intFlag(&c.rateLimit, -1), help: "tool calls per minute per MCP session (per caller with --multi-tenant, or with --store, where the fleet shares it); 0 turns it off (default: off on stdio, 600 on sse and http)", readme: "off on stdio, 600 on HTTP", check: func() error {
			if c.rateLimit < -1 {
				return fmt.Errorf("--rate-limit %d: want a number of calls per minute, or 0 for no limit", c.rateLimit)
			}
			return nil
		}},
		{name: "allow-toolkits", bind: listFlag(&c.allowToolkits, strings.ToLower), help: "comma-separated toolkit slugs proxy_execute may call (default: all)", readme: "all"},
		{name: "allow-methods", bind: listFlag(&c.allowMethods, strings.ToUpper), help: "comma-separated HTTP methods proxy_execute may use (default: all)", readme: "all", check: func() error {
			if err := c.Policy().Validate(); err != nil {
				return fmt.Errorf("--allow-methods: %w", err)
			}
			return nil
		}},
		{name: "read-only", bind: boolFlag(&c.readOnly), help: "allow only GET and HEAD", check: func() error {
			if c.readOnly && len(c.allowMethods) > 0 && !slices.ContainsFunc(c.allowMethods, func(m string) bool { return slices.Contains(tools.ReadOnlyMethods(), m) }) {
				return fmt.Errorf("--read-only with --allow-methods %s leaves no method allowed", strings.Join(c.allowMethods, ","))
			}
			return nil
		}},
		{name: "allow-absolute-urls", bind: boolFlag(&c.allowAbsoluteURLs), help: "allow endpoints that are absolute URLs (the user's credential goes to the host named)"},
		{name: "allow-custom-connection-data", bind: boolFlag(&c.allowCustomConnectionData), help: "allow custom_connection_data (raw credentials; deprecated by Composio)"},
		{name: "max-request-bytes", bind: int64Flag(&c.maxRequestBytes, 8<<20), help: "largest request accepted: an HTTP request body, or one JSON-RPC line on stdio", check: positive(&c.maxRequestBytes, "--max-request-bytes %d: want a positive number of bytes")},
		{name: "stdio-write-grace", bind: durationFlag(&c.stdioWriteGrace, server.DefaultStdioWriteGrace), help: "on stdio, after stdin closes or a signal: how long an answer may wait for the client to read stdout before the rest are dropped and the process exits", check: positive(&c.stdioWriteGrace, "--stdio-write-grace %s: want a positive duration such as 5s")},
		{name: "stdio-queue-bytes", bind: int64Flag(&c.stdioQueueBytes, 0), help: "on stdio, the bytes of tool calls read and not yet answered; past it, reading stdin waits (0: 64 MiB or 4 × --max-request-bytes, whichever is larger)",
			readme: "`0` (64 MiB or 4 × `--max-request-bytes`, whichever is larger)", check: func() error {
				if c.stdioQueueBytes < 0 {
					return fmt.Errorf("--stdio-queue-bytes %d: want a number of bytes, or 0 for the default", c.stdioQueueBytes)
				}
				return nil
			}},
		{name: "max-connections", bind: intFlag(&c.maxConnections, server.DefaultMaxConnections), help: "HTTP connections open at once; past it, new ones wait to be accepted", check: positive(&c.maxConnections, "--max-connections %d: want a positive number")},
		{name: "max-inflight", bind: intFlag(&c.maxInflight, server.DefaultMaxInflight), help: "HTTP requests and tool calls in flight at once; past it, 503 with Retry-After", check: positive(&c.maxInflight, "--max-inflight %d: want a positive number")},
		{name: "max-sessions", bind: intFlag(&c.maxSessions, server.DefaultMaxSessions), help: "streamable HTTP sessions held at once; past it, initialize gets 503 with Retry-After", check: positive(&c.maxSessions, "--max-sessions %d: want a positive number")},
		{name: "max-streams", bind: intFlag(&c.maxStreams, server.DefaultMaxStreams), help: "event streams (GET /sse, GET /mcp) open at once; past it, 503 with Retry-After", check: positive(&c.maxStreams, "--max-streams %d: want a positive number")},
		// One check, one message, for the two HTTP timeouts.
		{name: "read-timeout", bind: durationFlag(&c.readTimeout, server.DefaultReadTimeout), help: "time to read a whole HTTP request body; past it, the connection is closed", check: c.checkHTTPTimeouts},
		{name: "session-idle-timeout", bind: durationFlag(&c.sessionIdleTimeout, server.DefaultSessionIdleTimeout), help: "how long a streamable HTTP session without an open stream is kept after its last request", check: c.checkHTTPTimeouts},
		{name: "dry-run", bind: boolFlag(&c.DryRun), help: "send nothing: answer each call with the exact request it would send to Composio (credentials redacted)"},
		{name: "confirm-writes", bind: boolFlag(&c.ConfirmWrites), help: "ask the person (MCP elicitation) before each POST, PUT, PATCH or DELETE; refuse them on clients without elicitation", check: func() error {
			if c.Transport == server.TransportSSE && c.ConfirmWrites {
				// mcp-go's SSE transport cannot send a request to the client, so a
				// confirmation could never be asked and every write would be refused.
				return errors.New("--confirm-writes needs a transport that can ask the client (MCP elicitation): the sse transport cannot; use --transport http or stdio")
			}
			return nil
		}},
		{name: "connect-wait", bind: durationFlag(&c.ConnectWait, tools.DefaultConnectWait), help: "when a call finds its toolkit not connected (or expired, failed): how long to wait for the person to connect it through the link a client with URL elicitation shows, before the call is repeated once; --timeout bounds the whole call, wait and repeat included: the default leaves the repeated call 20s of the default --timeout, under the ~60s clients give a tool call; 0 turns the repair off", check: func() error {
			if c.ConnectWait < 0 {
				return fmt.Errorf("--connect-wait %s: want a duration such as 30s, or 0 to turn the repair off", c.ConnectWait)
			}
			return nil
		}},
		{name: "listen", bind: stringFlag(&c.Listen, "127.0.0.1:8080"), help: "address for the sse and http transports (host:port; a bare :port is refused)", check: c.checkListen},
		// Metrics: the one row, and its check, in internal/config/metrics.go.
		{name: "metrics-listen", bind: stringFlag(&c.metricsListen, ""), help: "also serve /metrics (Prometheus) on this address, with no token, for a scraper; the only way on stdio. A bare :port binds 127.0.0.1; another host must be named, and is warned of at start", check: c.checkMetricsListen},
		{name: "tools", bind: c.toolsFlag, help: "comma-separated tools to serve (default: " + strings.Join(tools.Names(), ",") + ")", readme: "`" + strings.Join(tools.Names(), ",") + "`", check: func() error {
			if len(c.tools) == 0 {
				return fmt.Errorf("--tools names no tool: want some of %s", strings.Join(tools.Names(), ", "))
			}
			return nil
		}},
		{name: "audit-log", bind: stringFlag(&c.AuditLog, ""), help: "append one JSON line per tool call to this file (no bodies, no secrets, query values redacted)", check: func() error {
			if c.Transport == "stdio" && slices.Contains([]string{"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "-"}, c.AuditLog) {
				return fmt.Errorf("--audit-log %s: on stdio, stdout carries the MCP messages; write the audit log to a file", c.AuditLog)
			}
			return nil
		}},
		{name: "multi-tenant", bind: boolFlag(&c.MultiTenant), help: "on the sse and http transports: hold no Composio key; each MCP client sends X-Composio-Api-Key and X-Composio-User-Id (or X-Composio-Session-Id) headers. Streamable HTTP then runs stateless", check: c.checkMultiTenant},
		{name: "store", bind: stringFlag(&c.StoreURL, ""), help: "redis:// or rediss:// URL of the Redis or Valkey that a fleet of replicas shares (stored results, rate limits, sessions, confirmations); its password goes in COMPOSIO_MCP_STORE_PASSWORD. Empty: this process's memory", check: c.checkStore},
		// Sign-in (OAuth resource server): one check for the block.
		{name: "oauth-issuer", bind: stringFlag(&c.oauth.issuer, ""), help: "on the sse and http transports: require sign-in with this OAuth/OIDC issuer (https, or http on loopback; discovered at start): each request carries an access token, and each person gets a Composio session for the user id in its --oauth-user-claim. Streamable HTTP then runs stateless", check: c.checkOAuth},
		{name: "oauth-audience", bind: stringFlag(&c.oauth.audience, ""), help: "with --oauth-issuer (required): the audience (aud claim) access tokens must be issued for"},
		{name: "oauth-user-claim", bind: stringFlag(&c.oauth.userClaim, "sub"), help: "with --oauth-issuer: the token claim giving the Composio user id"},
		{name: "oauth-required-scope", bind: stringFlag(&c.oauth.requiredScope, ""), help: "with --oauth-issuer: a scope every access token must grant (else 403 insufficient_scope)"},
		{name: "oauth-resource-url", bind: stringFlag(&c.oauth.resourceURL, ""), help: "with --oauth-issuer: the public URL of the MCP endpoint, for a server behind a proxy (default: from each request's Host)"},
		{name: "max-result-bytes", bind: intFlag(&c.MaxResultBytes, tools.DefaultMaxResultBytes), help: "budget of a tool result, in characters of its text block (framing included; isError texts at most 10000): a larger response is cut to fit, its data kept valid JSON, and kept whole as a stored result (query_result, MCP resource) in pages of this many bytes (0: never cut)", check: func() error {
			if c.MaxResultBytes < 0 || (c.MaxResultBytes > 0 && c.MaxResultBytes < minResultBytes) {
				return fmt.Errorf("--max-result-bytes %d: want 0 (never cut) or at least %d", c.MaxResultBytes, minResultBytes)
			}
			return nil
		}},
		{name: "result-store-bytes", bind: int64Flag(&c.ResultStoreBytes, results.DefaultMaxBytes), help: "memory for responses kept as resources, all callers together; the least recently read go first. With --store it does not apply: the store's own maxmemory does", check: positive(&c.ResultStoreBytes, "--result-store-bytes %d: want a positive number of bytes")},
		{name: "result-quota-per-caller", bind: int64Flag(&c.ResultQuotaPerCaller, results.DefaultQuotaPerCaller), help: "bytes of stored results one caller may hold together (in memory and in --store alike); past it that caller's oldest go first, and a response larger than it is not kept. In memory the default is --result-store-bytes when that is smaller", check: c.checkResultQuota},
		{name: "result-ttl", bind: durationFlag(&c.ResultTTL, results.DefaultTTL), help: "how long a response kept as a resource stays readable", check: positive(&c.ResultTTL, "--result-ttl %s: want a positive duration such as 30m")},
		{name: "inline-images-max", bind: int64Flag(&c.InlineImagesMax, tools.DefaultInlineImagesMax), help: "largest binary response (image, text or JSON) downloaded and shown inline (0: never)", check: func() error {
			if c.InlineImagesMax < 0 {
				return fmt.Errorf("--inline-images-max %d: want 0 (never) or a number of bytes", c.InlineImagesMax)
			}
			return nil
		}},
		{name: "upload-root", bind: c.uploadRootFlag, help: "a directory whose files binary_body {\"file\": …} may upload (repeatable, or a " + string(filepath.ListSeparator) + "-separated list); without it there is no such variant", check: c.checkUploadRoots},
		{name: "download-dir", bind: stringFlag(&c.DownloadDir, ""), help: "on stdio: an existing directory where each binary response is also saved (at most 100 MiB, a sanitised new name, never overwriting); the result gives the file's path", check: c.checkDownloadDir},
		{name: "log-level", bind: stringFlag(&c.logLevel, "info"), help: "log level: debug, info, warn or error (logs go to stderr)", check: func() error {
			if _, err := logging.ParseLevel(c.logLevel); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.logLevel)
			}
			return nil
		}},
		{name: "base-url", env: "COMPOSIO_BASE_URL", bind: stringFlag(&c.BaseURL, "https://backend.composio.dev"), help: "Composio API base URL"},
		{name: "session-id", env: "COMPOSIO_SESSION_ID", bind: stringFlag(&c.SessionID, ""), help: "Composio tool-router session id (trs_…)"},
		{name: "user-id", env: "COMPOSIO_USER_ID", bind: stringFlag(&c.UserID, ""), help: "Composio user id: without --session-id the server creates a tool-router session for this user at start, and replaces any session that expires"},
		{name: "toolkits", bind: listFlag(&c.Toolkits, strings.ToLower), help: "comma-separated toolkit slugs enabled in sessions the server creates, e.g. gmail,github (default: Composio's)", readme: "Composio's"},
		// Session options: what the sessions the server creates are made with.
		{name: "toolkits-disable", bind: listFlag(&c.DisableToolkits, strings.ToLower), help: "comma-separated toolkit slugs kept out of sessions the server creates (not with --toolkits: Composio takes one of the two)", check: func() error {
			if len(c.Toolkits) > 0 && len(c.DisableToolkits) > 0 {
				return errors.New("--toolkits and --toolkits-disable do not go together: Composio's session takes either toolkits to enable or toolkits to disable; give one")
			}
			return nil
		}},
		{name: "auth-configs", bind: slugIDsFlag(&c.AuthConfigs), help: "auth config per toolkit for sessions the server creates, as slug=id,…, e.g. gmail=ac_123,github=ac_456; needed for toolkits without Composio-managed auth"},
		{name: "connected-accounts", bind: slugIDsFlag(&c.ConnectedAccounts), help: "connected account to pin per toolkit in sessions the server creates, as slug=id,…, e.g. gmail=ca_123 (default: the most recently connected)"},
		{name: "api-version", bind: c.apiVersionFlag, help: "Composio API version of every session call: v3 or v3.1 (a session's DELETE is always v3.1, the only version that has it)", readme: "`v3`"},
		{name: "allowed-origins", bind: listFlag(&c.allowedOrigins, nil), help: "comma-separated browser origins allowed on the HTTP transports, besides localhost ones"},
		{name: "connect-callback-url", bind: stringFlag(&c.connectCallbackURL, ""), help: "where Composio sends the person after they connect an account through a connect_toolkit link (an absolute http or https URL)", check: func() error {
			if c.connectCallbackURL == "" {
				return nil
			}
			if u, err := url.Parse(c.connectCallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("--connect-callback-url %q: want an absolute http or https URL, such as https://example.com/connected", c.connectCallbackURL)
			}
			return nil
		}},
		{name: "sandbox", bind: boolFlag(&c.Sandbox), help: "serve against an embedded fake Composio backend on loopback; needs no API key"},
		{name: "version", noEnv: true, bind: boolFlag(&c.Version), help: "print the version and exit"},
	}
}

func (c *Config) checkHTTPTimeouts() error {
	if c.readTimeout <= 0 || c.sessionIdleTimeout <= 0 {
		return fmt.Errorf("--read-timeout %s, --session-idle-timeout %s: want positive durations such as 30s and 10m", c.readTimeout, c.sessionIdleTimeout)
	}
	return nil
}

func (c *Config) checkListen() error {
	if c.Transport == "stdio" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want host:port, such as 127.0.0.1:8080", c.Listen)
	}
	if host == "" {
		return fmt.Errorf("--listen %q binds every interface; name a host, such as 127.0.0.1%s", c.Listen, c.Listen)
	}
	// A multi-tenant server holds no credential a stranger could use: each
	// caller brings its own Composio key. With sign-in each caller shows a
	// token.
	if !loopback.Addr(c.Listen) && c.AuthToken == "" && !c.MultiTenant && !c.SignIn() {
		return fmt.Errorf("--listen %s is reachable from other machines: set COMPOSIO_MCP_AUTH_TOKEN so that clients must send it as a bearer token, or listen on 127.0.0.1", c.Listen)
	}
	return nil
}

func (c *Config) checkMultiTenant() error {
	if !c.MultiTenant {
		return nil
	}
	switch {
	case c.Transport == "stdio":
		return errors.New("--multi-tenant needs --transport http (or sse): on stdio there is one client, so give the server its own COMPOSIO_API_KEY instead")
	case c.Sandbox:
		return errors.New("--multi-tenant and --sandbox do not go together: the sandbox has one fake account")
	case c.APIKey != "" || c.UserAPIKey != "":
		return errors.New("--multi-tenant: unset COMPOSIO_API_KEY and COMPOSIO_USER_API_KEY; each MCP client sends its own key in X-Composio-Api-Key")
	case c.SessionID != "" || c.UserID != "":
		return errors.New("--multi-tenant: unset the session id and user id; each MCP client sends its own in X-Composio-Session-Id or X-Composio-User-Id")
	case len(c.UploadRoots) > 0:
		// Uploads read the server's own disk: every remote tenant could send
		// its files to any API.
		return errors.New("--multi-tenant and --upload-root do not go together: remote callers would read files from this machine")
	}
	return nil
}

// checkDownloadDir checks the download directory, and makes it absolute so
// that results name files by a path that does not depend on the working
// directory.
func (c *Config) checkDownloadDir() error {
	if c.DownloadDir == "" {
		return nil
	}
	if c.Transport != "stdio" {
		return fmt.Errorf("--download-dir works on --transport stdio only: over %s the files would land on the server's disk, not the client's", c.Transport)
	}
	abs, err := filepath.Abs(c.DownloadDir)
	if err != nil {
		return fmt.Errorf("--download-dir %s: %w", c.DownloadDir, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("--download-dir %s: want an existing directory: %w", c.DownloadDir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--download-dir %s: not a directory", c.DownloadDir)
	}
	c.DownloadDir = abs
	return nil
}

// checkUploadRoots checks the upload roots, and makes them absolute so that
// a later change of working directory cannot move them.
func (c *Config) checkUploadRoots() error {
	for i, dir := range c.UploadRoots {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("--upload-root %s: %w", dir, err)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("--upload-root %s: %w", dir, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("--upload-root %s: not a directory", dir)
		}
		c.UploadRoots[i] = abs
	}
	return nil
}

// slugIDsFlag binds a slug=id,… map; its error names the flag and the form.
func slugIDsFlag(p *map[string]string) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) {
		fs.Func(name, usage, func(s string) error {
			m, err := session.ParseSlugIDs(s)
			if err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			*p = m
			return nil
		})
	}
}

func (c *Config) apiVersionFlag(fs *flag.FlagSet, name, usage string) {
	c.APIVersion = client.APIv3
	fs.Func(name, usage, func(s string) error {
		v, err := client.ParseAPIVersion(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("--%s %q: want v3 or v3.1", name, s)
		}
		c.APIVersion = v
		return nil
	})
}

func (c *Config) toolsFlag(fs *flag.FlagSet, name, usage string) {
	fs.Func(name, usage, func(s string) error {
		c.tools = nil
		for _, t := range splitList(s) {
			if !slices.Contains(tools.Names(), t) {
				return fmt.Errorf("unknown tool %q: want some of %s", t, strings.Join(tools.Names(), ", "))
			}
			if !slices.Contains(c.tools, t) {
				c.tools = append(c.tools, t)
			}
		}
		return nil
	})
}

// uploadRootFlag accumulates: the flag is repeatable, and each value a list.
func (c *Config) uploadRootFlag(fs *flag.FlagSet, name, usage string) {
	fs.Func(name, usage, func(s string) error {
		for _, dir := range filepath.SplitList(s) {
			if dir = strings.TrimSpace(dir); dir != "" {
				c.UploadRoots = append(c.UploadRoots, dir)
			}
		}
		return nil
	})
}
