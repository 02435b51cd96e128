// Package doctor is the doctor subcommand: it checks the configuration the
// server would start with, and that Composio accepts it, and prints a short
// report with a fix for every problem.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// doctorTimeout bounds each call doctor makes: it is run by a person waiting
// at a terminal, not by an agent.
const doctorTimeout = 15 * time.Second

// report collects doctor's findings and prints them as they come.
type report struct {
	w        io.Writer
	problems int
}

func (r *report) ok(format string, a ...any) {
	fmt.Fprintf(r.w, "ok    %s\n", indent(fmt.Sprintf(format, a...)))
}

// indent keeps a finding of several lines (Composio's error in full, as
// tools.ErrorText renders it) under its status column.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n      ") }

func (r *report) warn(fix, format string, a ...any) {
	fmt.Fprintf(r.w, "warn  %s\n", indent(fmt.Sprintf(format, a...)))
	if fix != "" {
		fmt.Fprintf(r.w, "      fix: %s\n", fix)
	}
}

func (r *report) fail(fix, format string, a ...any) {
	r.problems++
	fmt.Fprintf(r.w, "FAIL  %s\n", indent(fmt.Sprintf(format, a...)))
	if fix != "" {
		fmt.Fprintf(r.w, "      fix: %s\n", fix)
	}
}

// Run implements `composio-proxy-mcp doctor [flags]` for the program's
// version. It reads the same flags and environment as the server, prints the
// report to stdout, and returns an error (a non-zero exit) when there is any
// problem. Secrets are never printed, only whether they are set.
func Run(ctx context.Context, args []string, getenv func(string) string, version string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	r := &report{w: stdout}
	fmt.Fprintf(stdout, "composio-proxy-mcp %s doctor\n", version)
	if c := doctorEnv(ctx, r, cfg, version); c != nil {
		if id := doctorSession(ctx, r, cfg, c); id != "" {
			doctorToolkits(ctx, r, cfg, c, id)
			if id != cfg.SessionID {
				// The session was made only to check; leave nothing behind.
				doctorDelete(ctx, r, c, id)
			}
		}
	}
	if r.problems > 0 {
		fmt.Fprintf(stdout, "%d problem(s) found: apply the fixes above, then run doctor again.\n", r.problems)
		return fmt.Errorf("doctor found %d problem(s)", r.problems)
	}
	fmt.Fprintln(stdout, "No problems found.")
	return nil
}

// doctorEnv checks the settings and returns a client to check them against
// Composio with, or nil when that cannot or need not be done.
func doctorEnv(ctx context.Context, r *report, cfg *config.Config, version string) *client.Client {
	if cfg.Sandbox {
		r.ok("--sandbox: the server uses an embedded fake Composio; nothing to check")
		return nil
	}
	// The settings first, once: what the server would refuse at start needs
	// fixing before anything else is worth checking.
	if err := cfg.ValidateSettings(); err != nil {
		r.fail("", "%v", err)
		return nil
	}
	doctorFleet(ctx, r, cfg)
	if cfg.MultiTenant {
		r.ok("--multi-tenant: the server holds no Composio key; each MCP client sends its own, so there is no key to check here")
		return nil
	}
	usable := true
	switch {
	case cfg.APIKey == "" && cfg.UserAPIKey == "":
		r.fail("export COMPOSIO_API_KEY=<your project API key from the Composio dashboard>; secrets are read from the environment only", "no Composio API key: COMPOSIO_API_KEY and COMPOSIO_USER_API_KEY are unset")
		usable = false
	case cfg.APIKey != "":
		r.ok("COMPOSIO_API_KEY is set (%s)", describeKey(cfg.APIKey))
		if !strings.HasPrefix(cfg.APIKey, "ak_") {
			r.warn("check that it is a project API key; a user key (uak_…) goes in COMPOSIO_USER_API_KEY", "COMPOSIO_API_KEY does not start with ak_, as project API keys do")
		}
		if cfg.UserAPIKey != "" {
			r.warn("unset COMPOSIO_USER_API_KEY to avoid confusion", "COMPOSIO_USER_API_KEY is set too; only COMPOSIO_API_KEY is used")
		}
	default:
		r.ok("COMPOSIO_USER_API_KEY is set (%s)", describeKey(cfg.UserAPIKey))
	}
	switch {
	case cfg.SignIn():
		// Each person's session is created for their own user id on their
		// first call: there is no user here to make one for.
		r.ok("sign-in: each person gets a tool-router session for their own user id, created on their first call")
		return nil
	case cfg.UserID != "" && cfg.SessionID != "":
		r.ok("session %s, renewed for user %q when it expires", cfg.SessionID, cfg.UserID)
	case cfg.UserID != "":
		r.ok("user %q: the server creates its tool-router session at start", cfg.UserID)
	case cfg.SessionID != "":
		r.warn("set COMPOSIO_USER_ID (or --user-id) so the server can replace the session when it expires", "session %s with no user id: when it expires, every call fails until it is replaced by hand", cfg.SessionID)
	default:
		r.fail("set COMPOSIO_USER_ID (or --user-id) to the Composio user whose accounts the agent uses; the server then creates its own session", "neither a user id nor a session id is set")
		usable = false
	}
	if !usable {
		return nil
	}
	// The server's own options, with the later ones winning: a shorter
	// timeout, and one retry, which rides out a blip without keeping a person
	// waiting long.
	opts := append(cfg.ClientOptions("composio-proxy-mcp/"+version+" doctor"),
		client.WithTimeout(min(cfg.Timeout, doctorTimeout)),
		client.WithMaxRetries(1))
	c, err := client.New(opts...)
	if err != nil {
		r.fail("set COMPOSIO_BASE_URL (or --base-url) to an http(s) URL, or unset it for https://backend.composio.dev", "%v", err)
		return nil
	}
	return c
}

// describeKey says what kind of key is set and how long it is, which helps
// spot a truncated paste, without revealing any of it beyond the prefix.
func describeKey(k string) string {
	prefix := "unknown kind"
	if i := strings.Index(k, "_"); i > 0 && i <= 4 {
		prefix = k[:i+1] + "…"
	}
	return fmt.Sprintf("%s, %d characters", prefix, len(k))
}

// doctorSession reaches Composio: the key is accepted, and the session exists
// or can be created. It returns the session id to check toolkits in, "" when
// there is none.
func doctorSession(ctx context.Context, r *report, cfg *config.Config, c *client.Client) string {
	base := strings.TrimSuffix(c.BaseURL(), "/")
	if cfg.SessionID != "" {
		s, err := c.GetSession(ctx, cfg.SessionID)
		switch {
		case err == nil:
			r.ok("Composio at %s accepted the key", base)
			r.ok("session %s found (user %q)", s.SessionID, s.Config.UserID)
			if cfg.UserID != "" && s.Config.UserID != cfg.UserID {
				r.warn("set COMPOSIO_USER_ID to the session's user, or drop COMPOSIO_SESSION_ID", "the session belongs to user %q, but COMPOSIO_USER_ID is %q: a renewed session would switch users", s.Config.UserID, cfg.UserID)
			}
			return s.SessionID
		case !session.IsNotFound(err):
			doctorCallFailed(r, base, err)
			return ""
		case cfg.UserID == "":
			r.ok("Composio at %s accepted the key", base)
			r.fail("set COMPOSIO_USER_ID (or --user-id) so the server creates sessions itself, or set COMPOSIO_SESSION_ID to a current session", "session %s not found: it has expired or never existed", cfg.SessionID)
			return ""
		}
		r.ok("Composio at %s accepted the key", base)
		r.ok("session %s not found (expired); the server replaces it for user %q", cfg.SessionID, cfg.UserID)
	}
	s, err := c.CreateSession(ctx, &client.CreateSessionRequest{
		UserID: cfg.UserID, Toolkits: cfg.Toolkits, DisableToolkits: cfg.DisableToolkits,
		AuthConfigs: cfg.AuthConfigs, ConnectedAccounts: cfg.ConnectedAccounts,
	})
	if err != nil {
		var apiErr *client.APIError
		errors.As(err, &apiErr)
		if slug := authConfigAsked(cfg, apiErr); slug != "" {
			r.fail(fmt.Sprintf("create an auth config for %[1]s in the Composio dashboard, then set --auth-configs %[1]s=ac_… (COMPOSIO_MCP_AUTH_CONFIGS)", slug),
				"toolkit %q from --toolkits needs an auth config (it has no Composio-managed auth), and none is given: %s", slug, tools.ErrorText(apiErr))
			return ""
		}
		if apiErr != nil && apiErr.HTTPStatus == http.StatusBadRequest {
			r.fail("check --toolkits, --toolkits-disable, --auth-configs, --connected-accounts and the user id", "Composio refused to create a session for user %q: %s", cfg.UserID, tools.ErrorText(apiErr))
			return ""
		}
		doctorCallFailed(r, base, err)
		return ""
	}
	if cfg.SessionID == "" {
		r.ok("Composio at %s accepted the key", base)
	}
	r.ok("a session for user %q can be created (created %s to check it, then deleted)", cfg.UserID, s.SessionID)
	return s.SessionID
}

// doctorCallFailed reports a call to Composio that failed, with the fix for
// the usual causes.
func doctorCallFailed(r *report, base string, err error) {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.HTTPStatus {
		case http.StatusUnauthorized:
			r.fail("set COMPOSIO_API_KEY to a current project API key from the Composio dashboard (no quotes or spaces around it)", "Composio at %s rejected the key: %s", base, tools.ErrorText(apiErr))
		case http.StatusForbidden:
			r.fail("give the API key the session permissions (\"session tool execution\" / \"proxy execute\") in the Composio dashboard", "Composio at %s refused the key: %s", base, tools.ErrorText(apiErr))
		default:
			r.fail("retry later; if it persists, report the request id to Composio", "Composio at %s answered: %s", base, tools.ErrorText(apiErr))
		}
		return
	}
	r.fail("check the network, any proxy (HTTPS_PROXY) and COMPOSIO_BASE_URL", "could not reach Composio at %s: %v", base, err)
}

// doctorToolkits lists the session's toolkits and their connection state. An
// unconnected toolkit is a warning, not a problem: the agent can connect it
// with connect_toolkit.
func doctorToolkits(ctx context.Context, r *report, cfg *config.Config, c *client.Client, sessionID string) {
	items, err := c.AllToolkits(ctx, sessionID, &client.ListToolkitsOptions{Limit: 50})
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) {
			r.fail("retry later; if it persists, report the request id to Composio", "listing the session's toolkits failed: %s", tools.ErrorText(apiErr))
		} else {
			r.fail("check the network", "listing the session's toolkits failed: %v", err)
		}
		return
	}
	var connected, unconnected []string
	for _, t := range items {
		if t.Connected() {
			connected = append(connected, t.Slug)
		} else {
			unconnected = append(unconnected, t.Slug)
		}
	}
	if len(items) == 0 {
		r.warn("set --toolkits (COMPOSIO_MCP_TOOLKITS) to the toolkits the agent needs", "the session has no toolkits")
		return
	}
	if len(connected) > 0 {
		r.ok("connected: %s", strings.Join(connected, ", "))
	}
	if len(unconnected) > 0 {
		fix := "ask the agent to call connect_toolkit for each, then open the link it gives"
		if !cfg.Enabled("connect_toolkit") {
			fix = "connect them in the Composio dashboard"
		}
		r.warn(fix, "not connected yet: %s", strings.Join(unconnected, ", "))
	}
	for _, want := range cfg.Toolkits {
		found := false
		for _, t := range items {
			found = found || t.Slug == want
		}
		if !found {
			r.warn("check the slug in --toolkits", "toolkit %q from --toolkits is not in the session", want)
		}
	}
	doctorAuthConfigs(r, cfg, items)
	doctorPinned(r, cfg, items)
}
