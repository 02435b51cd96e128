package tools

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// connectToolkit serves the connect_toolkit tool: it asks Composio for a link
// that a person opens to connect their account for a toolkit. When the MCP
// client supports URL-mode elicitation (MCP 2025-11-25), the client is asked
// to offer the link to the user itself; otherwise the link is in the result,
// for the model to pass on.
type connectToolkit struct {
	companion
	// callbackURL is sent as the link's callback_url, "" for none.
	callbackURL string
	// dryRun answers with the link request instead of sending it.
	dryRun bool
}

func newConnectToolkit(e *env) *connectToolkit {
	return &connectToolkit{companion: newCompanion(e), callbackURL: e.cfg.ConnectCallbackURL, dryRun: e.cfg.DryRun}
}

// maxAliasLen bounds an alias: a label, not a document.
const maxAliasLen = 100

type connectToolkitInput struct {
	Toolkit string  `json:"toolkit" jsonschema:"required,minLength=1" jsonschema_description:"The slug of the toolkit to connect, e.g. \"gmail\" or \"slack\", as list_toolkits or a proxy_execute error names it."`
	Alias   *string `json:"alias,omitempty" jsonschema:"minLength=1,maxLength=100" jsonschema_description:"A label for this account, e.g. \"work\", when the user connects several accounts of one toolkit. Leave it out otherwise."`
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

// Tool returns the connect_toolkit tool definition. It creates a link and
// nothing else, so it is not destructive: the account changes only when a
// person completes the flow in the browser.
func (c *connectToolkit) Tool() mcp.Tool {
	t := companionTool(ConnectToolkitName, "Connect an account for a toolkit", connectToolkitDescription,
		connectToolkitInput{}, connectToolkitOutput{}, false)
	if c.dryRun {
		// Its results are requests, not links: no output schema to break.
		t.RawOutputSchema = nil
	}
	return t
}

// Handle is the tool handler for connect_toolkit.
func (c *connectToolkit) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in connectToolkitInput
	res, err := decodeArgs(req, &in, "toolkit", "alias")
	// The call as asked for, for the audit record, even when refused.
	recordFrom(ctx).describe(in.Toolkit, "", "")
	if res != nil || err != nil {
		return res, err
	}
	in.Toolkit = strings.ToLower(strings.TrimSpace(in.Toolkit))
	linkReq, err := c.linkRequest(in)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	if c.dryRun {
		return c.dryRunResult(ctx, req.Header, linkReq)
	}
	start := time.Now()
	var link *client.Link
	cc := companionCall{tool: ConnectToolkitName, toolkit: in.Toolkit, method: http.MethodPost, endpoint: c.apiPrefix + "/tool_router/session/{id}/link", okStatus: http.StatusCreated}
	res, err = c.run(ctx, req.Header, "Creating a link to connect "+in.Toolkit, cc, func(api API, id string) (err error) {
		link, err = api.CreateLink(ctx, id, linkReq)
		return err
	})
	if res != nil || err != nil {
		return res, err
	}
	outcome := c.elicit(ctx, in.Toolkit, link.RedirectURL)
	c.log.InfoContext(ctx, "connect_toolkit", "toolkit", in.Toolkit, "elicitation", outcome, "duration", time.Since(start).Round(time.Microsecond))
	return connectResult(connectToolkitOutput{
		Toolkit: in.Toolkit, RedirectURL: link.RedirectURL,
		ConnectedAccountID: link.ConnectedAccountID, Elicitation: outcome,
	})
}

// linkRequest checks the arguments and makes the link's request.
func (c *connectToolkit) linkRequest(in connectToolkitInput) (*client.LinkRequest, error) {
	var errs argError
	if in.Toolkit == "" {
		errs.add("toolkit", `required: the toolkit slug, e.g. "gmail"`)
	}
	r := &client.LinkRequest{Toolkit: in.Toolkit, CallbackURL: c.callbackURL}
	if in.Alias != nil {
		r.Alias = strings.TrimSpace(*in.Alias)
		switch {
		case r.Alias == "":
			errs.add("alias", "must not be empty; leave it out for an account without a label")
		case len(r.Alias) > maxAliasLen || strings.ContainsFunc(r.Alias, func(r rune) bool { return r < ' ' || r == 0x7f }):
			errs.add("alias", "want a short label such as \"work\": at most %d bytes, no control characters", maxAliasLen)
		}
	}
	if len(errs.problems) > 0 {
		return nil, &errs
	}
	return r, nil
}

// linkRequestBuilder builds, without sending it, the request of CreateLink;
// *client.Client is one.
type linkRequestBuilder interface {
	NewLinkRequest(ctx context.Context, sessionID string, req *client.LinkRequest) (*http.Request, error)
}

// dryRunResult answers with the link request that would be sent, as
// proxy_execute's dry run does; no link is created.
func (c *connectToolkit) dryRunResult(ctx context.Context, header http.Header, lr *client.LinkRequest) (*mcp.CallToolResult, error) {
	t, err := tenantFor(ctx, c.tenants, header)
	if errors.Is(err, errNoTenants) {
		return nil, err
	}
	if err != nil {
		return errorResult(err.Error()), nil
	}
	b, ok := t.Client.(linkRequestBuilder)
	if !ok {
		return errorResult("--dry-run: this server's Composio client cannot show its requests, so nothing was sent."), nil
	}
	var hr *http.Request
	if err := t.Sessions.Run(ctx, func(id string) (err error) {
		hr, err = b.NewLinkRequest(ctx, id, lr)
		return err
	}); err != nil {
		return errorResult(fmt.Sprintf("--dry-run: the request could not be built, and nothing was sent: %v", err)), nil
	}
	lines, out, body, err := renderRequest(hr)
	if err != nil {
		return errorResult(fmt.Sprintf("--dry-run: reading the request body failed, and nothing was sent: %v", err)), nil
	}
	c.log.InfoContext(ctx, "connect_toolkit dry run", "toolkit", lr.Toolkit)
	text := fmt.Sprintf("DRY RUN: nothing was sent and no link was created (this server runs with --dry-run). To connect %s, connect_toolkit would send this request to Composio (credentials redacted):\n\n%s\n%s", lr.Toolkit, lines, body)
	return textAndStructured(text, out)
}

// elicit asks the MCP client to offer url to the user, when the client has
// declared URL-mode elicitation, and reports what became of it. Any failure
// to ask is "unsupported": the link is in the result either way.
//
// Only clients of protocol revisions up to 2025-11-25, which receive
// server-initiated requests, are asked; mcp-go refuses such requests to
// 2026-07-28 clients, which then get the link in the result.
func (c *connectToolkit) elicit(ctx context.Context, toolkit, url string) string {
	srv := mcpserver.ServerFromContext(ctx)
	sess := mcpserver.ClientSessionFromContext(ctx)
	if srv == nil || sess == nil || !supportsURLElicitation(sess) {
		return elicitUnsupported
	}
	msg := fmt.Sprintf("Connect your %s account: open this Composio page and sign in, so the assistant can call the %s API for you.", toolkit, toolkit)
	res, err := srv.RequestURLElicitation(ctx, sess, "connect-"+toolkit+"-"+rand.Text(), url, msg)
	if err != nil || res == nil {
		c.log.InfoContext(ctx, "connect_toolkit: URL elicitation failed; returning the link instead", "err", err)
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

func connectResult(out connectToolkitOutput) (*mcp.CallToolResult, error) {
	var b strings.Builder
	switch out.Elicitation {
	case elicitAccepted:
		fmt.Fprintf(&b, "The user was shown the link to connect their %s account and agreed to open it. Once they say they have finished in the browser, call proxy_execute again; list_toolkits shows whether %s is connected.", out.Toolkit, out.Toolkit)
	case elicitDeclined, elicitCancelled:
		fmt.Fprintf(&b, "The user was shown the link to connect their %s account and %s it. Do not ask again unless they want to; %s cannot be used until it is connected. The link, should they change their mind: %s", out.Toolkit, out.Elicitation, out.Toolkit, out.RedirectURL)
	default:
		fmt.Fprintf(&b, "Give the user this link and ask them to open it in a browser to connect their %s account:\n%s\nOnce they say they have finished, call proxy_execute again; list_toolkits shows whether %s is connected.", out.Toolkit, out.RedirectURL, out.Toolkit)
	}
	return textAndStructured(b.String(), out)
}
