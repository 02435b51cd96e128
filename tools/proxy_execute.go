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
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/schema"
)

// ProxyExecuteName is the name under which the proxy tool is registered.
const ProxyExecuteName = "proxy_execute"

// Executor forwards one proxy_execute call to Composio; *client.Client is one.
type Executor interface {
	ProxyExecute(ctx context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error)
}

// Proxy serves the proxy_execute tool: it checks the arguments, forwards them to
// Composio's tool-router session, and turns the answer into a tool result.
type Proxy struct {
	// Client sends the calls.
	Client Executor
	// SessionID is the tool-router session the calls run in.
	SessionID string
	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
	// Policy limits what calls are allowed; the zero value is the safe default.
	Policy Policy
	// Tenants, when set, gives each call its client and session in place of
	// Client and SessionID: a session that is renewed when it expires, or a
	// multi-tenant caller's own credentials.
	Tenants Tenants
	// ConnectTool names the tool that connects an account when the server
	// offers it; a NoActiveConnection error then tells the model to call it.
	ConnectTool string

	// MaxResultBytes, when positive, is the size above which a response is
	// cut: the text shows its first part, and the whole goes to Results.
	MaxResultBytes int
	// Results keeps cut responses for resources/read; nil keeps none.
	Results *results.Store
	// InlineImagesMax, when positive, is the largest binary response that is
	// downloaded and shown inline: images as image content, text and JSON as
	// text.
	InlineImagesMax int64
	// DownloadClient fetches those downloads; nil uses a default client.
	DownloadClient *http.Client
	// DownloadTimeout bounds one download; 0 means DefaultDownloadTimeout.
	DownloadTimeout time.Duration
	// UploadRoots, when set, are the directories from which binary_body
	// {"file": …} may read local files; without them there is no such variant.
	UploadRoots []string
	// DryRun answers every call with the request it would send, sending none.
	DryRun bool
	// ConfirmWrites asks the person, through MCP elicitation, before any call
	// that is not a GET or HEAD.
	ConfirmWrites bool
	// Masker hides known secrets in the upstream's answer before it is
	// shaped, so that a response kept whole in Results is masked as well as
	// the result; nil masks nothing. The handler's results are masked by
	// wrapping Handle with the same Masker (Masker.Wrap).
	Masker *Masker
}

// proxyInput documents proxy_execute's arguments; it exists to generate the
// input schema. Arguments are read by parseArgs, which checks them field by
// field with messages a model can act on.
type proxyInput struct {
	ToolkitSlug string `json:"toolkit_slug" jsonschema:"required,minLength=1" jsonschema_description:"The toolkit whose connected account makes the call, e.g. \"gmail\", \"github\", \"slack\", \"googlecalendar\". Composio injects that account's credentials."`
	Endpoint    string `json:"endpoint" jsonschema:"required,minLength=1" jsonschema_description:"The API path, relative to the connected account's base URL: \"/gmail/v1/users/me/messages\" for gmail, \"/user/repos\" for github. Put query parameters in \"parameters\" rather than in the path. An absolute URL works only on the toolkit's own API domain."`
	Method      string `json:"method" jsonschema:"required,enum=GET,enum=POST,enum=PUT,enum=DELETE,enum=PATCH,enum=HEAD" jsonschema_description:"The HTTP method. GET and HEAD only read; POST, PUT, PATCH and DELETE change data in the user's account."`
	// Body is json.RawMessage so that the schema states object-or-null.
	Body                 json.RawMessage  `json:"body,omitempty" jsonschema:"oneof_type=object;null" jsonschema_description:"The JSON request body for POST, PUT and PATCH, as an object, e.g. {\"name\": \"my-repo\", \"private\": true}. Omit it for GET, HEAD and DELETE. For raw bytes use binary_body instead."`
	Parameters           []parameterInput `json:"parameters,omitempty" jsonschema_description:"Extra query parameters and headers, e.g. [{\"name\": \"maxResults\", \"value\": \"10\", \"type\": \"query\"}]. Values are strings. Never set Authorization: Composio injects the credential, and your own would override it."`
	CustomConnectionData map[string]any   `json:"custom_connection_data,omitempty" jsonschema_extras:"deprecated=true" jsonschema_description:"Deprecated by Composio: raw credentials ({authScheme, toolkitSlug, val}) to use instead of the connected account. Leave it out."`
}

type parameterInput struct {
	Name  string `json:"name" jsonschema:"required,minLength=1" jsonschema_description:"The header or query parameter name, e.g. \"q\" or \"Accept\"."`
	Value string `json:"value" jsonschema:"required" jsonschema_description:"The value, as a string (\"10\", not 10)."`
	Type  string `json:"type" jsonschema:"required,enum=header,enum=query" jsonschema_description:"\"query\" for a URL query parameter, \"header\" for an HTTP header."`
}

type binaryURLInput struct {
	URL         string `json:"url" jsonschema:"required,format=uri" jsonschema_description:"A URL from which Composio fetches the bytes to send."`
	ContentType string `json:"content_type,omitempty" jsonschema_description:"The MIME type of the bytes, e.g. \"application/pdf\"."`
}

type binaryBase64Input struct {
	Base64      string `json:"base64" jsonschema:"required,minLength=1" jsonschema_description:"The bytes to send, base64-encoded; at most 4 MB once decoded."`
	ContentType string `json:"content_type,omitempty" jsonschema_description:"The MIME type of the bytes, e.g. \"image/png\"."`
}

// proxyOutput is the structuredContent of a proxy_execute result.
type proxyOutput struct {
	Status     int               `json:"status" jsonschema:"required" jsonschema_description:"The HTTP status the third-party API answered."`
	Data       json.RawMessage   `json:"data,omitempty" jsonschema_description:"The response body: parsed JSON, or a string for non-JSON bodies; {} for binary responses."`
	Headers    map[string]string `json:"headers,omitempty" jsonschema_description:"The third-party API's response headers."`
	BinaryData *binaryOutput     `json:"binary_data,omitempty" jsonschema_description:"A signed, expiring download link for a binary response."`
}

type binaryOutput struct {
	URL         string `json:"url" jsonschema:"required"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	ExpiresAt   string `json:"expires_at,omitempty"`
}

const proxyDescription = `Call any endpoint of a third-party API (Gmail, GitHub, Slack, Google Calendar, Notion, …) as the user, through Composio: Composio adds the credentials of the user's connected account for the toolkit and forwards the request.

Give the toolkit, an endpoint path relative to that API's base URL, the method, and optionally a JSON body, query parameters and headers, or binary data. The result has the API's HTTP status, response body and headers; binary responses come as a download link. Error results explain what went wrong and what to do next.`

// Tool returns the proxy_execute tool definition. Its schema and annotations
// reflect the Policy, so that a model is told up front what it may do.
func (p *Proxy) Tool() mcp.Tool {
	in := baseInputSchema()
	methods := p.Policy.methods()
	schema.Property(in, "method")["enum"] = methods
	if len(p.Policy.Toolkits) > 0 {
		schema.Property(in, "toolkit_slug")["enum"] = p.Policy.Toolkits
	}
	if !p.Policy.AllowAbsoluteURLs {
		ep := schema.Property(in, "endpoint")
		ep["description"] = strings.Replace(ep["description"].(string),
			"An absolute URL works only on the toolkit's own API domain.",
			"Absolute URLs are refused by this server.", 1)
	}
	if !p.Policy.AllowCustomConnectionData {
		ccd := schema.Property(in, "custom_connection_data")
		ccd["description"] = "Deprecated by Composio, and refused by this server: raw credentials to use instead of the connected account. Leave it out."
	}
	p.extendInput(in)
	rawIn, err := schema.Marshal(in)
	if err != nil {
		panic(err) // the schema is built from fixed types: a failure is a bug
	}
	t := mcp.NewToolWithRawSchema(ProxyExecuteName, proxyDescription, rawIn)
	t.RawOutputSchema = outputSchema()
	t.Title = "Call a third-party API through Composio"
	readOnly := p.Policy.ReadOnly()
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(!readOnly),
		IdempotentHint:  mcp.ToBoolPtr(readOnly),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	p.extendTool(&t)
	return t
}

// inputSchemaJSON is the policy-free input schema, reflected once: the
// reflection is start-up work that need not be repeated per tool or session.
var inputSchemaJSON = sync.OnceValue(func() []byte {
	in := reflected(proxyInput{})
	bin := reflectedOneOf("Binary request body, instead of body: either a URL Composio fetches the bytes from, or the bytes as base64 (at most 4 MB decoded).",
		binaryURLInput{}, binaryBase64Input{})
	schema.SetProperty(in, "binary_body", bin)
	b, err := schema.Marshal(in)
	if err != nil {
		panic(err)
	}
	return b
})

// baseInputSchema returns a fresh, mutable copy of the input schema.
func baseInputSchema() schema.Object {
	var in schema.Object
	if err := json.Unmarshal(inputSchemaJSON(), &in); err != nil {
		panic(err)
	}
	return in
}

var outputSchema = sync.OnceValue(func() json.RawMessage {
	b, err := schema.Marshal(reflected(proxyOutput{}))
	if err != nil {
		panic(err)
	}
	return b
})

// Handle is the tool handler for proxy_execute.
func (p *Proxy) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	ctx = results.WithCallHeader(ctx, req.Header) // the results it keeps belong to its caller
	raw := []byte(req.Params.RawArguments)
	if len(raw) == 0 && req.Params.Arguments != nil {
		// In-process clients hand over decoded arguments.
		b, err := json.Marshal(req.Params.Arguments)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments: %w", err)
		}
		raw = b
	}
	raw, up, err := p.resolveUpload(raw)
	if err != nil {
		p.logger().InfoContext(ctx, "proxy_execute rejected", "reason", err.Error())
		return errorResult(err.Error()), nil
	}
	call, err := parseArgs(raw)
	if err == nil {
		err = p.Policy.check(call)
	}
	if err != nil {
		p.logger().InfoContext(ctx, "proxy_execute rejected", "reason", err.Error())
		return errorResult(err.Error()), nil
	}
	ex, sessions, err := p.target(ctx, req)
	if err != nil {
		p.logger().InfoContext(ctx, "proxy_execute rejected", "reason", "no Composio credentials for the caller")
		return errorResult(err.Error()), nil
	}
	if p.DryRun {
		return p.dryRun(ctx, ex, sessions, call), nil
	}
	if res := p.confirm(ctx, req, call, up); res != nil {
		return res, nil
	}
	ctx, prog := p.startProgress(ctx, req, call)
	start := time.Now()
	var resp *client.ProxyResponse
	err = sessions.Run(ctx, func(sessionID string) (err error) {
		resp, err = ex.ProxyExecute(ctx, sessionID, call)
		return err
	})
	elapsed := time.Since(start)
	prog.done(doneMessage(resp, err))
	attrs := []any{
		"toolkit", call.ToolkitSlug,
		"method", call.Method,
		"endpoint", logEndpoint(call.Endpoint),
		"duration", elapsed.Round(time.Microsecond),
	}
	if err != nil {
		res := clientErrorResult(call, err)
		p.logger().InfoContext(ctx, "proxy_execute failed", append(attrs, errorAttrs(err)...)...)
		return res, nil
	}
	p.logger().InfoContext(ctx, "proxy_execute", append(attrs, "status", resp.Status, "request_id", resp.RequestID)...)
	p.Masker.maskResponse(req.Header, resp)
	return p.result(ctx, call, resp), nil
}

// target finds where a call goes: the client that sends it and the session it
// runs in. The client is wrapped to fill the call's audit record and to point
// a NoActiveConnection error at ConnectTool.
func (p *Proxy) target(ctx context.Context, req mcp.CallToolRequest) (Executor, Sessions, error) {
	var ex Executor = p.Client
	var sessions Sessions = FixedSession(p.SessionID)
	if p.Tenants != nil {
		t, err := p.Tenants.Tenant(ctx, req.Header)
		if err != nil {
			return nil, nil, err
		}
		ex, sessions = t.Client, t.Sessions
	}
	return recordingExecutor{next: ex, rec: recordFrom(ctx), connectTool: p.ConnectTool}, sessions, nil
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger == nil {
		return discard
	}
	return p.Logger
}

var discard = slog.New(slog.DiscardHandler)

// logEndpoint shows an endpoint in logs: without its query, whose names and
// values can be personal data or tokens.
func logEndpoint(endpoint string) string { return redact.Endpoint(endpoint) }
