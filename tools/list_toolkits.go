package tools

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// listToolkits serves the list_toolkits tool: one page of the session's
// toolkits, whether the user can use each one with proxy_execute now, and
// what to do about those they cannot. A model calls it to find the slug to
// pass, or to see what still needs connecting.
type listToolkits struct {
	companion
	// connectTool is the name of the tool that connects an account when the
	// server offers it; the result then tells the model to call it for
	// unconnected toolkits.
	connectTool string
}

func newListToolkits(e *env) *listToolkits {
	return &listToolkits{companion: newCompanion(e), connectTool: e.connectTool}
}

// Page sizes of list_toolkits: Composio's own bounds, and a default that fits
// a session's usual toolkits in one page without flooding the model.
const (
	defaultToolkitLimit = 20
	maxToolkitLimit     = 50
	maxCursorLen        = 1024
)

type listToolkitsInput struct {
	Search    string `json:"search,omitempty" jsonschema_description:"Only toolkits whose name or slug contains this text, e.g. \"mail\". Leave it out to list all."`
	Connected *bool  `json:"connected,omitempty" jsonschema_description:"true: only the toolkits proxy_execute can use now; false: only those that still need an account connected. Leave it out to list both."`
	Limit     *int   `json:"limit,omitempty" jsonschema:"minimum=1,maximum=50" jsonschema_description:"Toolkits per page, 1 to 50; default 20."`
	Cursor    string `json:"cursor,omitempty" jsonschema_description:"The next_cursor of the previous list_toolkits result, to get the next page; give the same search and connected as then. Leave it out for the first page."`
}

type listToolkitsOutput struct {
	Toolkits   []toolkitOutput `json:"toolkits" jsonschema:"required" jsonschema_description:"This page of the session's toolkits."`
	NextCursor string          `json:"next_cursor,omitempty" jsonschema_description:"Present when there are more toolkits: call list_toolkits again with this as cursor (and the same search and connected) for the next page."`
	TotalItems int             `json:"total_items,omitempty" jsonschema_description:"How many toolkits match, over all pages, when Composio says."`
}

type toolkitOutput struct {
	Slug          string `json:"slug" jsonschema:"required" jsonschema_description:"The toolkit_slug to give proxy_execute."`
	Name          string `json:"name" jsonschema:"required" jsonschema_description:"The toolkit's display name."`
	Connected     bool   `json:"connected" jsonschema:"required" jsonschema_description:"Whether proxy_execute can use the toolkit now: the user has a connected account whose status is ACTIVE, or the toolkit needs no auth."`
	NeedsAuth     bool   `json:"needs_auth" jsonschema:"required" jsonschema_description:"Whether the toolkit needs a connected account at all."`
	AccountStatus string `json:"account_status,omitempty" jsonschema_description:"The status of the user's connected account, when there is one: ACTIVE (usable), INITIATED (connecting was started and not finished), EXPIRED, FAILED or INACTIVE."`
	Fix           string `json:"fix,omitempty" jsonschema_description:"For a toolkit that cannot be used now: what to do so that it can."`
}

const listToolkitsDescription = `List the toolkits (third-party APIs such as gmail, github, slack) of this Composio session, a page at a time, with whether each can be used by proxy_execute right now and, for those that cannot, what to do.

Use it to find the toolkit_slug to pass to proxy_execute, or to see which toolkits still need the user to connect (or reconnect) an account. When the result has a next_cursor, call again with it as cursor for the next page.`

// Tool returns the list_toolkits tool definition.
func (l *listToolkits) Tool() mcp.Tool {
	return companionTool(ListToolkitsName, "List the toolkits of the Composio session", listToolkitsDescription,
		listToolkitsInput{}, listToolkitsOutput{}, true)
}

// Handle is the tool handler for list_toolkits. It sends one request: the
// page asked for.
func (l *listToolkits) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in listToolkitsInput
	if res, err := decodeArgs(req, &in, "search", "connected", "limit", "cursor"); res != nil || err != nil {
		return res, err
	}
	opts, err := in.options()
	if err != nil {
		return errorResult(err.Error()), nil
	}
	start := time.Now()
	var page *client.ToolkitPage
	cc := companionCall{tool: ListToolkitsName, method: http.MethodGet, endpoint: l.apiPrefix + "/tool_router/session/{id}/toolkits", okStatus: http.StatusOK}
	res, err := l.run(ctx, req.Header, "Listing toolkits", cc, func(api API, id string) (err error) {
		page, err = api.ListToolkits(ctx, id, opts)
		return err
	})
	if res != nil || err != nil {
		return res, err
	}
	l.log.InfoContext(ctx, "list_toolkits", "toolkits", len(page.Items), "more", page.NextCursor != "", "duration", time.Since(start).Round(time.Microsecond))
	return l.result(in, page)
}

// options checks the paging arguments and makes the one request's options.
func (in listToolkitsInput) options() (*client.ListToolkitsOptions, error) {
	var errs argError
	limit := defaultToolkitLimit
	if in.Limit != nil {
		limit = *in.Limit
		if limit < 1 || limit > maxToolkitLimit {
			errs.add("limit", "must be from 1 to %d, got %d", maxToolkitLimit, limit)
		}
	}
	if in.Cursor != "" && (len(in.Cursor) > maxCursorLen || strings.ContainsFunc(in.Cursor, func(r rune) bool { return r <= ' ' || r > '~' })) {
		errs.add("cursor", "not a cursor: pass the next_cursor of the previous list_toolkits result unchanged, or leave cursor out for the first page")
	}
	if len(errs.problems) > 0 {
		return nil, &errs
	}
	return &client.ListToolkitsOptions{Limit: limit, Cursor: in.Cursor, Search: in.Search, IsConnected: in.Connected}, nil
}

func (l *listToolkits) result(in listToolkitsInput, page *client.ToolkitPage) (*mcp.CallToolResult, error) {
	out := listToolkitsOutput{Toolkits: make([]toolkitOutput, 0, len(page.Items)), NextCursor: page.NextCursor, TotalItems: page.TotalItems}
	for _, it := range page.Items {
		o := toolkitOutput{Slug: it.Slug, Name: it.Name, Connected: it.Connected(), NeedsAuth: !it.IsNoAuth}
		if it.ConnectedAccount != nil {
			o.AccountStatus = it.ConnectedAccount.Status
		}
		if !o.Connected {
			o.Fix = l.fix(o.Slug, o.AccountStatus)
		}
		out.Toolkits = append(out.Toolkits, o)
	}
	var b strings.Builder
	switch n := len(out.Toolkits); {
	case n == 0 && (in.Search != "" || in.Connected != nil):
		b.WriteString("No toolkit of this session matches.")
	case n == 0:
		b.WriteString("This session has no toolkits.")
	case out.TotalItems > n:
		fmt.Fprintf(&b, "%d toolkit(s) on this page, of %d:", n, out.TotalItems)
	default:
		fmt.Fprintf(&b, "%d toolkit(s):", n)
	}
	var unconnected []string
	for _, o := range out.Toolkits {
		state := "connected"
		switch {
		case !o.NeedsAuth:
			state = "needs no auth"
		case !o.Connected && o.AccountStatus != "":
			state = "not connected (account " + o.AccountStatus + "): " + o.Fix
		case !o.Connected:
			state = "not connected: " + o.Fix
		}
		if !o.Connected {
			unconnected = append(unconnected, o.Slug)
		}
		fmt.Fprintf(&b, "\n- %s (%s): %s", o.Slug, o.Name, state)
	}
	if len(unconnected) > 0 {
		if l.connectTool != "" {
			fmt.Fprintf(&b, "\nTo use %s, call %s with its slug; the user then opens a link to connect the account.", strings.Join(unconnected, ", "), l.connectTool)
		} else {
			fmt.Fprintf(&b, "\nTo use %s, the user must first connect the account in Composio.", strings.Join(unconnected, ", "))
		}
	}
	if out.NextCursor != "" {
		fmt.Fprintf(&b, "\nMore toolkits: call %s again with {\"cursor\": %q} (and the same search and connected) for the next page.", ListToolkitsName, out.NextCursor)
	}
	return textAndStructured(b.String(), out)
}

// fix says what makes a toolkit usable whose account has status (""
// for no account): reconnecting through connectTool when it is served, else
// what the person must do in Composio.
func (l *listToolkits) fix(slug, status string) string {
	why := map[string]string{
		"":                     "no account is connected",
		client.StatusInitiated: "connecting the account was started and not finished",
		client.StatusExpired:   "the account's authorization expired or was revoked",
		client.StatusFailed:    "connecting the account failed",
		client.StatusInactive:  "the account was disabled",
	}[status]
	if why == "" {
		why = "the account is not ACTIVE"
	}
	if l.connectTool != "" {
		verb := "reconnect it"
		if status == "" {
			verb = "connect it"
		}
		return fmt.Sprintf("%s; to %s, call %s with {\"toolkit\": %q} and give the user the link to open.", why, verb, l.connectTool, slug)
	}
	if status == client.StatusInactive {
		return why + "; the user must enable it again (or connect the account anew) in Composio, then this toolkit can be used."
	}
	return why + "; the user must connect the " + slug + " account again in Composio (this server offers no tool to do it), then this toolkit can be used."
}
