package tools

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/audit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// Config is everything the tools need. The zero value of each option is its
// safe default; a Client (with Sessions) or Tenants is required.
type Config struct {
	// Client and Sessions are the one tenant of a server with its own
	// Composio key: the client that sends every call, and the session it
	// runs in (a *session.Manager, or a FixedSession).
	Client   API
	Sessions Sessions
	// Tenants, when set, gives each call its client and session in place of
	// Client and Sessions: on a multi-tenant server, the caller's own.
	Tenants Tenants
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
	// Policy limits what proxy_execute may call; the zero value is the safe default.
	Policy Policy
	// Tools names the tools to serve, of Names(); nil serves them all.
	Tools []string

	// MaxResultBytes, when positive, is the size above which a response is
	// cut: the text shows its first part, and the whole goes to Results.
	MaxResultBytes int
	// Results keeps cut responses for resources/read; nil keeps none.
	Results *results.Store
	// InlineImagesMax, when positive, is the largest binary response that is
	// downloaded and shown inline.
	InlineImagesMax int64
	// DownloadClient fetches those downloads; nil uses a default client.
	DownloadClient *http.Client
	// DownloadTimeout bounds one download; 0 means DefaultDownloadTimeout.
	DownloadTimeout time.Duration
	// DownloadDir, when set, is an existing directory into which every
	// binary response is also saved, under a new name.
	DownloadDir string
	// DownloadMaxBytes is the largest download saved there; 0 means
	// DefaultDownloadMaxBytes.
	DownloadMaxBytes int64
	// downloadBudget is the bytes all saved files may take in total; 0 means
	// DownloadBudgetBytes. Only tests set it, to reach the budget quickly.
	downloadBudget int64
	// UploadRoots, when set, are the directories from which binary_body
	// {"file": …} may read local files; without them there is no such variant.
	UploadRoots []string
	// DryRun answers every call with the request it would send, sending none.
	DryRun bool
	// ConnectCallbackURL, when set, is where Composio sends the person after
	// connecting an account through a connect_toolkit link.
	ConnectCallbackURL string
	// APIVersion is the Composio API version the client calls, for the
	// endpoints the companion tools' audit entries name; "" means v3.
	APIVersion client.APIVersion
	// ConfirmWrites asks the person, through MCP elicitation, before any call
	// that is not a GET or HEAD.
	ConfirmWrites bool
	// ConfirmKey signs the state of a confirmation asked across round trips;
	// nil makes a random key for this Set, so that a state from before a
	// restart is simply asked again. Servers that share it share states.
	ConfirmKey []byte
	// Replays records each call confirmed across round trips, so that a
	// client repeating it (a retry after a lost answer, here or on another
	// replica with the same ConfirmKey) gets the recorded result and the
	// write is not sent twice; nil keeps them in this process's memory,
	// bounded. A fleet shares one in its store.
	Replays Replays
	// ConnectWait, when positive, lets proxy_execute mend a missing, expired
	// or failed connection: on a client with URL-mode elicitation it asks the
	// person to open the connect link, waits up to this long for the
	// connection to become ACTIVE, and repeats the call once. 0 only gives
	// the link.
	ConnectWait time.Duration
	// CallTimeout bounds a proxy_execute call that mends its connection,
	// its wait and repeated call included; 0 means no bound of its own.
	CallTimeout time.Duration

	// Secrets are masked wherever a tool result carries them: the process's
	// own Composio keys and MCP token.
	Secrets []string
	// CallerSecrets, when set, returns more secrets to mask in the result of
	// a call with these HTTP headers: a multi-tenant caller's own key.
	CallerSecrets func(http.Header) []string
	// CallerOwner, when set, names the caller of a call with these HTTP
	// headers, as a hash (tenant.ResultOwner): a confirmation asked of one
	// caller is taken only from them, and a confirmed call is replayed only
	// to them. nil means one caller.
	CallerOwner func(context.Context, http.Header) string
	// Audit, when set, receives one entry per tool call.
	Audit *audit.Log
	// Observe, when set, is told of every finished tool call, for metrics.
	Observe CallObserver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Set is the tools built from a Config.
type Set struct {
	tools        []server.ServerTool
	templates    []server.ServerResourceTemplate
	instructions string
}

// Tools returns the tools to add to the MCP server, in the order of Names().
func (s *Set) Tools() []server.ServerTool { return slices.Clone(s.tools) }

// Instructions is what the server tells the model about the tools served:
// how to call an API, and when to call the companion tools.
func (s *Set) Instructions() string { return s.instructions }

// Templates returns the resource templates through which clients read the
// results kept whole (none without a Results store), to add to the server.
func (s *Set) Templates() []server.ServerResourceTemplate { return slices.Clone(s.templates) }

// instructions open the server's instructions, whatever tools are served.
const instructions = `Use proxy_execute to call a third-party API (Gmail, GitHub, Slack, …) as the user: Composio adds the credentials of the user's connected account. Endpoints are paths relative to the API's base URL; query parameters and headers go in "parameters". Read error results: they say what to fix.`

// tool is one tool of the registry: its definition and its handler.
type tool interface {
	Tool() mcp.Tool
	Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error)
}

// registryRow is one tool: its name, how it is built, and what the server's
// instructions say about it.
type registryRow struct {
	name        string
	build       func(*env) tool
	instruction string
}

// registry lists every tool this package serves, in the order they are listed.
func registry() []registryRow {
	return []registryRow{
		{ProxyExecuteName, func(e *env) tool { return newProxyTool(e) }, ""},
		{ListToolkitsName, func(e *env) tool { return newListToolkits(e) },
			" Call list_toolkits to see which toolkits (APIs) this session has and which are connected."},
		{ConnectToolkitName, func(e *env) tool { return newConnectToolkit(e) },
			" When a toolkit is not connected, call connect_toolkit: it gives a link the user opens to connect their account."},
		{QueryResultName, func(e *env) tool { return newQueryResult(e) },
			" Give proxy_execute a jq filter to get only what you need; when a result was cut or filtered, call query_result with the result id it names to filter it again or read its other pages, without calling the API again."},
	}
}

// Names returns the names of every tool this package serves, in the order
// they are listed.
func Names() []string {
	rows := registry()
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.name
	}
	return names
}

// New builds the tools cfg names, each handler wrapped so that its results
// are masked and, with cfg.Audit, its calls audited.
func New(cfg Config) (*Set, error) {
	if cfg.Tools == nil {
		cfg.Tools = Names()
	}
	for _, name := range cfg.Tools {
		if !slices.Contains(Names(), name) {
			return nil, fmt.Errorf("unknown tool %q: want some of %s", name, strings.Join(Names(), ", "))
		}
	}
	if cfg.Tenants == nil {
		if cfg.Client == nil || cfg.Sessions == nil {
			return nil, errors.New("tools: the Config has neither Tenants nor a Client with Sessions")
		}
		cfg.Tenants = singleTenant{Client: cfg.Client, Sessions: cfg.Sessions}
	}
	if cfg.ConfirmKey == nil {
		cfg.ConfirmKey = make([]byte, 32)
		if _, err := rand.Read(cfg.ConfirmKey); err != nil {
			return nil, fmt.Errorf("tools: making the confirmation key: %w", err)
		}
	}
	e := newEnv(cfg)
	s := &Set{templates: cfg.Results.Templates(), instructions: instructions}
	for _, row := range registry() {
		if !slices.Contains(cfg.Tools, row.name) {
			continue
		}
		t := row.build(e)
		h := e.masker.wrap(t.Handle)
		if cfg.Audit != nil || cfg.Observe != nil {
			h = audited(cfg.Audit, cfg.Observe, e.log, e.now, row.name, h)
		}
		s.tools = append(s.tools, server.ServerTool{Tool: t.Tool(), Handler: h})
		s.instructions += row.instruction
	}
	return s, nil
}

// env is what the tools share, built once from the Config.
type env struct {
	cfg     Config
	tenants Tenants
	log     *slog.Logger
	now     func() time.Time
	masker  *masker
	// jq bounds the jq filters that run at once, across the tools.
	jq jqSlots
	// connectTool names connect_toolkit when it is served, so that the
	// other tools can point at it; "" when it is not.
	connectTool string
}

// newEnv fills the defaults that need no error check.
func newEnv(cfg Config) *env {
	e := &env{cfg: cfg, tenants: cfg.Tenants, log: orDiscard(cfg.Logger), now: cfg.Now, jq: newJQSlots()}
	if e.now == nil {
		e.now = time.Now
	}
	e.masker = newMasker(cfg.CallerSecrets, cfg.Secrets...)
	if slices.Contains(cfg.Tools, ConnectToolkitName) {
		e.connectTool = ConnectToolkitName
	}
	return e
}

// errNoTenants is the fault of a tool built without Tenants.
var errNoTenants = errors.New("tools: this tool has no Tenants, so no Composio client: the server is wired wrong")

// tenantFor resolves the call's tenant; a nil Tenants is a fault in the
// wiring, a Go error, not something the model can act on.
func tenantFor(ctx context.Context, tenants Tenants, header http.Header) (Tenant, error) {
	if tenants == nil {
		return Tenant{}, errNoTenants
	}
	return tenants.Tenant(ctx, header)
}

// orDiscard returns l, or a logger that discards when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
