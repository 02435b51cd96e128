package doctor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// authConfigAsked returns the toolkit from --toolkits that Composio refused
// to create a session without an auth config for, "" when the refusal is
// about something else or apiErr is nil.
func authConfigAsked(cfg *config.Config, apiErr *client.APIError) string {
	if apiErr == nil || apiErr.HTTPStatus != http.StatusBadRequest && apiErr.HTTPStatus != http.StatusNotFound {
		return ""
	}
	text := strings.ToLower(apiErr.Message + " " + strings.Join(apiErr.Errors, " "))
	if !strings.Contains(text, "auth config") && !strings.Contains(text, "auth_config") {
		return ""
	}
	for _, slug := range cfg.Toolkits {
		if cfg.AuthConfigs[slug] == "" && strings.Contains(text, strings.ToLower(slug)) {
			return slug
		}
	}
	return ""
}

// doctorAuthConfigs warns of a toolkit from --toolkits in the session that
// has no Composio-managed auth and no auth config given: connecting it needs
// one. (Composio may let such a session be created when it was made earlier,
// by id.)
func doctorAuthConfigs(r *report, cfg *config.Config, items []client.Toolkit) {
	for _, t := range items {
		if !slices.Contains(cfg.Toolkits, t.Slug) || t.IsNoAuth || len(t.ComposioManagedAuthSchemes) > 0 || cfg.AuthConfigs[t.Slug] != "" {
			continue
		}
		if t.ConnectedAccount != nil && t.ConnectedAccount.AuthConfig.ID != "" {
			continue // connected with an auth config of its own
		}
		r.warn(fmt.Sprintf("create an auth config for %[1]s in the Composio dashboard, then set --auth-configs %[1]s=ac_… (COMPOSIO_MCP_AUTH_CONFIGS)", t.Slug),
			"toolkit %q from --toolkits has no Composio-managed auth: it needs an auth config, and none is given", t.Slug)
	}
}

// doctorPinned checks every account pinned with --connected-accounts: it is
// the session's account for its toolkit, and ACTIVE. A pinned account that is
// not is a problem: every call for the toolkit fails, and connecting anew
// makes another account, which the pin does not name.
func doctorPinned(r *report, cfg *config.Config, items []client.Toolkit) {
	slugs := slices.Sorted(func(yield func(string) bool) {
		for s := range cfg.ConnectedAccounts {
			if !yield(s) {
				return
			}
		}
	})
	for _, slug := range slugs {
		id := cfg.ConnectedAccounts[slug]
		i := slices.IndexFunc(items, func(t client.Toolkit) bool { return t.Slug == slug })
		switch {
		case i < 0:
			r.warn("enable the toolkit with --toolkits, or drop it from --connected-accounts", "toolkit %q from --connected-accounts is not in the session", slug)
		case items[i].ConnectedAccount == nil || items[i].ConnectedAccount.ID != id:
			r.fail(fmt.Sprintf("check the account id in the Composio dashboard and set --connected-accounts %s=<its id>", slug), "the session does not use the pinned %s account %s", slug, id)
		case !strings.EqualFold(items[i].ConnectedAccount.Status, "ACTIVE"):
			r.fail(fmt.Sprintf("reconnect %[1]s account %[2]s in the Composio dashboard, or pin an ACTIVE account with --connected-accounts %[1]s=ca_…", slug, id),
				"the pinned %s account %s is %s, not ACTIVE: calls for %s will fail", slug, id, items[i].ConnectedAccount.Status, slug)
		default:
			r.ok("pinned %s account %s is ACTIVE", slug, id)
		}
	}
}

// doctorDelete deletes the session doctor made to check, and warns when it
// cannot: the session is left behind.
func doctorDelete(ctx context.Context, r *report, c *client.Client, id string) {
	err := c.DeleteSession(ctx, id)
	if err == nil {
		return
	}
	r.warn("nothing to do for the server; the session stays in your Composio project until you delete it (DELETE /api/v3.1/tool_router/session/"+id+", or the dashboard). If Composio at this base URL has no v3.1 API, it cannot be deleted",
		"deleting the check session %s failed: %s", id, tools.ErrorText(err))
}
