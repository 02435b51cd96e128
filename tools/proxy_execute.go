package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
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

// Tool returns the proxy_execute tool definition.
func (p *Proxy) Tool() mcp.Tool {
	return proxyTool
}

// proxyTool is built once: reflecting the schemas is start-up work that need
// not be repeated per call or per session.
var proxyTool = func() mcp.Tool {
	in := schema.MustReflect(proxyInput{})
	bin, err := schema.OneOf("Binary request body, instead of body: either a URL Composio fetches the bytes from, or the bytes as base64 (at most 4 MB decoded).",
		binaryURLInput{}, binaryBase64Input{})
	if err != nil {
		panic(err)
	}
	schema.SetProperty(in, "binary_body", bin)
	rawIn, err := schema.Marshal(in)
	if err != nil {
		panic(err)
	}
	out := schema.MustReflect(proxyOutput{})
	rawOut, err := schema.Marshal(out)
	if err != nil {
		panic(err)
	}
	t := mcp.NewToolWithRawSchema(ProxyExecuteName, proxyDescription, rawIn)
	t.RawOutputSchema = rawOut
	t.Title = "Call a third-party API through Composio"
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(false),
		DestructiveHint: mcp.ToBoolPtr(true),
		IdempotentHint:  mcp.ToBoolPtr(false),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
}()

// Handle is the tool handler for proxy_execute.
func (p *Proxy) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	raw := []byte(req.Params.RawArguments)
	if len(raw) == 0 && req.Params.Arguments != nil {
		// In-process clients hand over decoded arguments.
		b, err := json.Marshal(req.Params.Arguments)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments: %w", err)
		}
		raw = b
	}
	call, err := parseArgs(raw)
	if err != nil {
		p.logger().InfoContext(ctx, "proxy_execute rejected", "reason", "invalid arguments")
		return errorResult(err.Error()), nil
	}
	start := time.Now()
	resp, err := p.Client.ProxyExecute(ctx, p.SessionID, call)
	elapsed := time.Since(start)
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
	return responseResult(call, resp), nil
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger == nil {
		return discard
	}
	return p.Logger
}

var discard = slog.New(slog.DiscardHandler)

// logEndpoint keeps an endpoint's host and path for logs and drops its query,
// whose values can be personal data or tokens.
func logEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		if i := strings.IndexAny(endpoint, "?#"); i >= 0 {
			return endpoint[:i]
		}
		return endpoint
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
