package tools

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// ConnectToolkit serves the connect_toolkit tool: it asks Composio for a link
// that a person opens to connect their account for a toolkit. When the MCP
// client supports URL-mode elicitation (MCP 2025-11-25), the client is asked
// to offer the link to the user itself; otherwise the link is in the result,
// for the model to pass on.
type ConnectToolkit struct {
	// Tenants gives the client and session of each call.
	Tenants Tenants
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
}

type connectToolkitInput struct {
	Toolkit string `json:"toolkit" jsonschema:"required,minLength=1" jsonschema_description:"The slug of the toolkit to connect, e.g. \"gmail\" or \"slack\", as list_toolkits or a proxy_execute error names it."`
}

// Values of connectToolkitOutput.Elicitation.
const (
	elicitAccepted    = "accepted"
	elicitDeclined    = "declined"
	elicitCancelled   = "cancelled"
	elicitUnsupported = "unsupported"
)

type connectToolkitOutput struct {
	Toolkit            string `json:"toolkit" jsonschema:"required" jsonschema_description:"The toolkit the link connects."`
	RedirectURL        string `json:"redirect_url" jsonschema:"required" jsonschema_description:"The URL the user opens in a browser to connect the account."`
	ConnectedAccountID string `json:"connected_account_id,omitempty" jsonschema_description:"The id the connected account will have."`
	Elicitation        string `json:"elicitation" jsonschema:"required,enum=accepted,enum=declined,enum=cancelled,enum=unsupported" jsonschema_description:"Whether the MCP client offered the link to the user: accepted (the user agreed to open it), declined, cancelled, or unsupported (the client cannot; give the link to the user yourself)."`
}

const connectToolkitDescription = `Start connecting the user's account for a toolkit (gmail, github, slack, …), which proxy_execute needs before it can call that API: for example after proxy_execute answered ToolRouterV2_NoActiveConnection.

It creates a Composio link that the user opens in a browser to sign in to the service. Where the MCP client can, it asks the user to open the link directly; otherwise the result holds the link for you to give to the user. Once the user has finished, call proxy_execute again; list_toolkits shows whether the toolkit is connected.`

// Tool returns the connect_toolkit tool definition.
func (c *ConnectToolkit) Tool() mcp.Tool { return connectToolkitTool() }

var connectToolkitTool = sync.OnceValue(func() mcp.Tool {
	t := mcp.NewToolWithRawSchema(ConnectToolkitName, connectToolkitDescription, mustSchema(connectToolkitInput{}))
	t.RawOutputSchema = mustSchema(connectToolkitOutput{})
	t.Title = "Connect an account for a toolkit"
	t.Annotations = mcp.ToolAnnotation{
		Title: t.Title,
		// It creates a link and nothing else; the account changes only when a
		// person completes the flow in the browser.
		ReadOnlyHint:    mcp.ToBoolPtr(false),
		DestructiveHint: mcp.ToBoolPtr(false),
		IdempotentHint:  mcp.ToBoolPtr(false),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
})

// Handle is the tool handler for connect_toolkit.
func (c *ConnectToolkit) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	raw, err := rawArguments(req)
	if err != nil {
		return nil, err
	}
	var in connectToolkitInput
	if err := decodeStrict(raw, &in, "toolkit"); err != nil {
		return errorResult(err.Error()), nil
	}
	in.Toolkit = strings.ToLower(strings.TrimSpace(in.Toolkit))
	if in.Toolkit == "" {
		return errorResult((&argError{problems: []string{`toolkit: required: the toolkit slug, e.g. "gmail"`}}).Error()), nil
	}
	t, err := tenantFor(ctx, c.Tenants, req.Header)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	start := time.Now()
	rec := recordFrom(ctx)
	var link *client.Link
	err = t.Sessions.Run(ctx, func(id string) (err error) {
		link, err = t.Client.CreateLink(ctx, id, in.Toolkit, "")
		rec.observe(in.Toolkit, http.MethodPost, "/api/v3/tool_router/session/{id}/link", http.StatusCreated, err)
		return err
	})
	log := orDiscard(c.Logger)
	if err != nil {
		log.InfoContext(ctx, "connect_toolkit failed", append([]any{"toolkit", in.Toolkit, "duration", time.Since(start).Round(time.Microsecond)}, errorAttrs(err)...)...)
		return companionErrorResult("Creating a link to connect "+in.Toolkit, err), nil
	}
	outcome := c.elicit(ctx, in.Toolkit, link.RedirectURL)
	log.InfoContext(ctx, "connect_toolkit", "toolkit", in.Toolkit, "elicitation", outcome, "duration", time.Since(start).Round(time.Microsecond))
	return connectResult(connectToolkitOutput{
		Toolkit: in.Toolkit, RedirectURL: link.RedirectURL,
		ConnectedAccountID: link.ConnectedAccountID, Elicitation: outcome,
	}), nil
}

// elicit asks the MCP client to offer url to the user, when the client has
// declared URL-mode elicitation, and reports what became of it. Any failure
// to ask is "unsupported": the link is in the result either way.
//
// Only clients of protocol revisions up to 2025-11-25, which receive
// server-initiated requests, are asked; mcp-go refuses such requests to
// 2026-07-28 clients, which then get the link in the result.
func (c *ConnectToolkit) elicit(ctx context.Context, toolkit, url string) string {
	srv := mcpserver.ServerFromContext(ctx)
	sess := mcpserver.ClientSessionFromContext(ctx)
	if srv == nil || sess == nil || !supportsURLElicitation(sess) {
		return elicitUnsupported
	}
	msg := fmt.Sprintf("Connect your %s account: open this Composio page and sign in, so the assistant can call the %s API for you.", toolkit, toolkit)
	res, err := srv.RequestURLElicitation(ctx, sess, "connect-"+toolkit+"-"+rand.Text(), url, msg)
	if err != nil || res == nil {
		orDiscard(c.Logger).InfoContext(ctx, "connect_toolkit: URL elicitation failed; returning the link instead", "err", err)
		return elicitUnsupported
	}
	switch res.Action {
	case mcp.ElicitationResponseActionAccept:
		return elicitAccepted
	case mcp.ElicitationResponseActionDecline:
		return elicitDeclined
	case mcp.ElicitationResponseActionCancel:
		return elicitCancelled
	}
	return elicitUnsupported
}

// supportsURLElicitation reports whether the client declared URL-mode
// elicitation; a bare "elicitation": {} means form mode only.
func supportsURLElicitation(sess mcpserver.ClientSession) bool {
	ci, ok := sess.(mcpserver.SessionWithClientInfo)
	if !ok {
		return false
	}
	caps := ci.GetClientCapabilities()
	return caps.Elicitation != nil && caps.Elicitation.URL != nil
}

func connectResult(out connectToolkitOutput) *mcp.CallToolResult {
	structured, err := json.Marshal(out)
	if err != nil {
		return errorResult(fmt.Sprintf("Encoding the link failed: %v", err))
	}
	var b strings.Builder
	switch out.Elicitation {
	case elicitAccepted:
		fmt.Fprintf(&b, "The user was shown the link to connect their %s account and agreed to open it. Once they say they have finished in the browser, call proxy_execute again; list_toolkits shows whether %s is connected.", out.Toolkit, out.Toolkit)
	case elicitDeclined, elicitCancelled:
		fmt.Fprintf(&b, "The user was shown the link to connect their %s account and %s it. Do not ask again unless they want to; %s cannot be used until it is connected. The link, should they change their mind: %s", out.Toolkit, out.Elicitation, out.Toolkit, out.RedirectURL)
	default:
		fmt.Fprintf(&b, "Give the user this link and ask them to open it in a browser to connect their %s account:\n%s\nOnce they say they have finished, call proxy_execute again; list_toolkits shows whether %s is connected.", out.Toolkit, out.RedirectURL, out.Toolkit)
	}
	b.WriteString("\n")
	b.Write(structured)
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(b.String())},
		StructuredContent: json.RawMessage(structured),
	}
}
