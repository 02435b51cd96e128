package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/schema"
)

// ListToolkits serves the list_toolkits tool: the toolkits of the session,
// and whether the user can use each one with proxy_execute now. A model calls
// it to find the slug to pass, or to see what still needs connecting.
type ListToolkits struct {
	// Tenants gives the client and session of each call.
	Tenants Tenants
	// ConnectTool is the name of the tool that connects an account when the
	// server offers it; the result then tells the model to call it for
	// unconnected toolkits.
	ConnectTool string
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
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
func (l *ListToolkits) Tool() mcp.Tool { return listToolkitsTool() }

var listToolkitsTool = sync.OnceValue(func() mcp.Tool {
	t := mcp.NewToolWithRawSchema(ListToolkitsName, listToolkitsDescription, mustSchema(listToolkitsInput{}))
	t.RawOutputSchema = mustSchema(listToolkitsOutput{})
	t.Title = "List the toolkits of the Composio session"
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(true),
		DestructiveHint: mcp.ToBoolPtr(false),
		IdempotentHint:  mcp.ToBoolPtr(true),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
})

// mustSchema reflects a fixed Go type into a raw schema; a failure is a bug.
func mustSchema(v any) json.RawMessage {
	b, err := schema.Marshal(reflected(v))
	if err != nil {
		panic(err)
	}
	return b
}

// Handle is the tool handler for list_toolkits.
func (l *ListToolkits) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	raw, err := rawArguments(req)
	if err != nil {
		return nil, err
	}
	var in listToolkitsInput
	if err := decodeStrict(raw, &in, "search", "connected"); err != nil {
		return errorResult(err.Error()), nil
	}
	t, err := tenantFor(ctx, l.Tenants, req.Header)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	start := time.Now()
	rec := recordFrom(ctx)
	var items []client.Toolkit
	err = t.Sessions.Run(ctx, func(id string) (err error) {
		items, err = t.Client.AllToolkits(ctx, id, &client.ListToolkitsOptions{Limit: 50, Search: in.Search, IsConnected: in.Connected})
		rec.observe("", http.MethodGet, "/api/v3/tool_router/session/{id}/toolkits", http.StatusOK, err)
		return err
	})
	log := orDiscard(l.Logger)
	if err != nil {
		log.InfoContext(ctx, "list_toolkits failed", append([]any{"duration", time.Since(start).Round(time.Microsecond)}, errorAttrs(err)...)...)
		return companionErrorResult("Listing toolkits", err), nil
	}
	log.InfoContext(ctx, "list_toolkits", "toolkits", len(items), "duration", time.Since(start).Round(time.Microsecond))
	return l.result(in, items), nil
}

func (l *ListToolkits) result(in listToolkitsInput, items []client.Toolkit) *mcp.CallToolResult {
	out := listToolkitsOutput{Toolkits: make([]toolkitOutput, 0, len(items))}
	for _, it := range items {
		o := toolkitOutput{Slug: it.Slug, Name: it.Name, Connected: it.Connected(), NeedsAuth: !it.IsNoAuth}
		if it.ConnectedAccount != nil {
			o.AccountStatus = it.ConnectedAccount.Status
		}
		out.Toolkits = append(out.Toolkits, o)
	}
	structured, err := json.Marshal(out)
	if err != nil {
		return errorResult(fmt.Sprintf("Encoding the toolkit list failed: %v", err))
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
		if l.ConnectTool != "" {
			fmt.Fprintf(&b, "\nTo use %s, call %s with its slug; the user then opens a link to connect the account.", strings.Join(unconnected, ", "), l.ConnectTool)
		} else {
			fmt.Fprintf(&b, "\nTo use %s, the user must first connect the account in Composio.", strings.Join(unconnected, ", "))
		}
	}
	b.WriteString("\n")
	b.Write(structured)
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(b.String())},
		StructuredContent: json.RawMessage(structured),
	}
}
