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

// listToolkits serves the list_toolkits tool: the toolkits of the session,
// and whether the user can use each one with proxy_execute now. A model calls
// it to find the slug to pass, or to see what still needs connecting.
type listToolkits struct {
	companion
	// connectTool is the name of the tool that connects an account when the
	// server offers it; the result then tells the model to call it for
	// unconnected toolkits.
	connectTool string
}

func newListToolkits(e *env) *listToolkits {
	return &listToolkits{companion: companion{tenants: e.tenants, log: e.log}, connectTool: e.connectTool}
}

type listToolkitsInput struct {
	Search    string `json:"search,omitempty" jsonschema_description:"Only toolkits whose name or slug contains this text, e.g. \"mail\". Leave it out to list all."`
	Connected *bool  `json:"connected,omitempty" jsonschema_description:"true: only the toolkits proxy_execute can use now; false: only those that still need an account connected. Leave it out to list both."`
}

type listToolkitsOutput struct {
	Toolkits []toolkitOutput `json:"toolkits" jsonschema:"required" jsonschema_description:"The session's toolkits."`
}

type toolkitOutput struct {
	Slug          string `json:"slug" jsonschema:"required" jsonschema_description:"The toolkit_slug to give proxy_execute."`
	Name          string `json:"name" jsonschema:"required" jsonschema_description:"The toolkit's display name."`
	Connected     bool   `json:"connected" jsonschema:"required" jsonschema_description:"Whether proxy_execute can use the toolkit now: the user has an active connected account, or the toolkit needs no auth."`
	NeedsAuth     bool   `json:"needs_auth" jsonschema:"required" jsonschema_description:"Whether the toolkit needs a connected account at all."`
	AccountStatus string `json:"account_status,omitempty" jsonschema_description:"The status of the user's connected account, e.g. ACTIVE, when there is one."`
}

const listToolkitsDescription = `List the toolkits (third-party APIs such as gmail, github, slack) of this Composio session, with whether each can be used by proxy_execute right now.

Use it to find the toolkit_slug to pass to proxy_execute, or to see which toolkits still need the user to connect an account.`

// Tool returns the list_toolkits tool definition.
func (l *listToolkits) Tool() mcp.Tool {
	return companionTool(ListToolkitsName, "List the toolkits of the Composio session", listToolkitsDescription,
		listToolkitsInput{}, listToolkitsOutput{}, true)
}

// Handle is the tool handler for list_toolkits.
func (l *listToolkits) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in listToolkitsInput
	if res, err := decodeArgs(req, &in, "search", "connected"); res != nil || err != nil {
		return res, err
	}
	start := time.Now()
	var items []client.Toolkit
	cc := companionCall{tool: ListToolkitsName, method: http.MethodGet, endpoint: "/api/v3/tool_router/session/{id}/toolkits", okStatus: http.StatusOK}
	res, err := l.run(ctx, req.Header, "Listing toolkits", cc, func(api API, id string) (err error) {
		items, err = api.AllToolkits(ctx, id, &client.ListToolkitsOptions{Limit: 50, Search: in.Search, IsConnected: in.Connected})
		return err
	})
	if res != nil || err != nil {
		return res, err
	}
	l.log.InfoContext(ctx, "list_toolkits", "toolkits", len(items), "duration", time.Since(start).Round(time.Microsecond))
	return l.result(in, items)
}

func (l *listToolkits) result(in listToolkitsInput, items []client.Toolkit) (*mcp.CallToolResult, error) {
	out := listToolkitsOutput{Toolkits: make([]toolkitOutput, 0, len(items))}
	for _, it := range items {
		o := toolkitOutput{Slug: it.Slug, Name: it.Name, Connected: it.Connected(), NeedsAuth: !it.IsNoAuth}
		if it.ConnectedAccount != nil {
			o.AccountStatus = it.ConnectedAccount.Status
		}
		out.Toolkits = append(out.Toolkits, o)
	}
	var b strings.Builder
	switch n := len(out.Toolkits); {
	case n == 0 && (in.Search != "" || in.Connected != nil):
		b.WriteString("No toolkit of this session matches.")
	case n == 0:
		b.WriteString("This session has no toolkits.")
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
			state = "not connected (account " + o.AccountStatus + ")"
		case !o.Connected:
			state = "not connected"
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
	return textAndStructured(b.String(), out)
}
