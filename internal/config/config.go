// Package config is the program's configuration: one table of flags (name,
// environment variable, default, help and validation in one row each), parsed
// from the command line and the environment, and the settings of the client,
// the tools and the server derived from it.
//
// A flag is added as one row of the table (flags.go) plus the line of wiring
// that uses it. Secrets come from the environment only: argv is visible to
// every user of the machine (ps, /proc) and lands in shell histories.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/metrics"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// Config is everything the program is told at start, from flags and the
// environment. Parse fills it; Validate checks it.
type Config struct {
	// The secrets, from the environment only.
	APIKey, UserAPIKey, AuthToken string
	// StorePassword is the store's password (COMPOSIO_MCP_STORE_PASSWORD);
	// StateKey signs confirmation state, shared by a fleet
	// (COMPOSIO_MCP_STATE_KEY).
	StorePassword, StateKey string

	// StoreURL is the shared store (--store); "" keeps state in memory.
	// storeFromArgv is set when it came from the command line, where a
	// password in it would be visible to every user of the machine.
	StoreURL      string
	storeFromArgv bool
	store         *store.Redis // opened by OpenStore

	// Where calls go, and the session they run in.
	BaseURL, SessionID, UserID string
	// Toolkits are enabled in the sessions the server creates.
	Toolkits []string
	// DisableToolkits are kept out of them instead (never with Toolkits).
	DisableToolkits []string
	// AuthConfigs and ConnectedAccounts go into those sessions, per toolkit
	// slug: the auth config (ac_…) to use, the account (ca_…) to pin.
	AuthConfigs, ConnectedAccounts map[string]string
	// APIVersion is the Composio API version of every session call.
	APIVersion client.APIVersion

	Transport string
	Listen    string
	// Timeout bounds each call to Composio, retries included.
	Timeout  time.Duration
	logLevel string
	Sandbox  bool
	Version  bool

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

	// Agent policy (see Policy).
	allowToolkits             []string
	allowMethods              []string
	readOnly                  bool
	allowAbsoluteURLs         bool
	allowCustomConnectionData bool

	// rateLimit is tool calls per minute per MCP session; -1 means the
	// transport's default (see RateLimitPerMinute).
	rateLimit  int
	maxRetries int

	// Caps on requests to Composio in flight at once: in the process, and
	// for one Composio credential.
	maxUpstreamCalls, maxUpstreamCallsPerCaller int

	tools []string
	// AuditLog is the file the audit log is appended to; "" for none.
	AuditLog    string
	MultiTenant bool
	// oauth is sign-in: the --oauth-* flags.
	oauth signIn

	// Result shaping and safety features of proxy_execute (see tools.Proxy).
	MaxResultBytes   int
	ResultStoreBytes int64
	// ResultQuotaPerCaller bounds one caller's stored results together.
	ResultQuotaPerCaller int64
	ResultTTL            time.Duration
	InlineImagesMax      int64
	UploadRoots          []string
	// DownloadDir is where binary responses are also saved (stdio only).
	DownloadDir   string
	DryRun        bool
	ConfirmWrites bool
	// connectCallbackURL is sent as the callback_url of connect_toolkit's links.
	connectCallbackURL string
	// ConnectWait bounds the wait for the person to connect an account a
	// call lacks; 0 turns the repair off.
	ConnectWait time.Duration

	// metricsListen is --metrics-listen; metrics is made on first use (see
	// Metrics).
	metricsListen string
	metrics       *metrics.Metrics
}

// envPrefix is the prefix of the environment variable that backs each flag
// without a Composio name of its own: --x-y reads COMPOSIO_MCP_X_Y.
const envPrefix = "COMPOSIO_MCP_"

// envName is the environment variable of a row: its own, or the one derived
// from its name; "" when it has none.
func (d flagDef) envName() string {
	switch {
	case d.noEnv:
		return ""
	case d.env != "":
		return d.env
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(d.name, "-", "_"))
}

const usage = "Usage: composio-proxy-mcp [flags]\n       composio-proxy-mcp print-config [claude-desktop|cursor|vscode|claude-code] [flags]\n       composio-proxy-mcp doctor [flags]\n\nAn MCP server whose proxy_execute tool calls third-party APIs through Composio.\n\n" +
	"Environment: COMPOSIO_API_KEY or COMPOSIO_USER_API_KEY (secrets: environment only), COMPOSIO_MCP_AUTH_TOKEN,\n" +
	"COMPOSIO_MCP_STORE_PASSWORD, COMPOSIO_MCP_STATE_KEY;\n" +
	"every flag --x-y also reads COMPOSIO_MCP_X_Y (COMPOSIO_BASE_URL, COMPOSIO_SESSION_ID, COMPOSIO_USER_ID for those three); a flag wins.\n\nFlags:\n"

// flagSet registers the table's flags, bound to c, on a new flag set that
// prints to stderr.
func (c *Config) flagSet(defs []flagDef, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("composio-proxy-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, d := range defs {
		d.bind(fs, d.name, d.help)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// Parse reads flags from args and the environment through getenv; a flag on
// the command line wins over its environment variable. It does not validate
// the combination (see Validate): --version and print-config need none. With
// --help it prints the usage to stderr and returns flag.ErrHelp.
func Parse(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{tools: slices.Clone(tools.Names())}
	defs := c.flags()
	fs := c.flagSet(defs, stderr)
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
	envs := map[string]string{}
	for _, d := range defs {
		envs[d.name] = d.envName()
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envs[f.Name]
		if set[f.Name] || name == "" {
			return
		}
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range c.secrets() {
		*s.value = strings.TrimSpace(getenv(s.env))
	}
	c.storeFromArgv = set["store"]
	return c, nil
}

// secret is an environment variable that has no flag.
type secret struct {
	env   string
	value *string
}

// secrets are the settings read from the environment only.
func (c *Config) secrets() []secret {
	return []secret{
		{"COMPOSIO_API_KEY", &c.APIKey},
		{"COMPOSIO_USER_API_KEY", &c.UserAPIKey},
		{"COMPOSIO_MCP_AUTH_TOKEN", &c.AuthToken},
		{"COMPOSIO_MCP_STORE_PASSWORD", &c.StorePassword},
		{"COMPOSIO_MCP_STATE_KEY", &c.StateKey},
	}
}

// Secrets are the values to mask in logs and results.
func (c *Config) Secrets() []string {
	return []string{c.APIKey, c.UserAPIKey, c.AuthToken, c.StorePassword, c.StateKey, store.URLPassword(c.StoreURL)}
}

// UseSandbox points the configuration at the embedded fake backend. The
// fake knows one account: settings meant for the real Composio (an exported
// COMPOSIO_SESSION_ID, say) would only make every call fail.
func (c *Config) UseSandbox(baseURL, apiKey, sessionID string) {
	c.BaseURL, c.APIKey, c.UserAPIKey = baseURL, apiKey, ""
	c.SessionID, c.UserID = sessionID, ""
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
