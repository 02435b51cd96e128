package tools

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

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
	JQ                   string           `json:"jq,omitempty" jsonschema_description:"A jq filter applied by this server to the response's data, to return only what you need, e.g. \".items[] | {id, name, html_url}\"; it is not sent to the API. Several outputs come back as one JSON array; when it leaves anything out, the whole response is kept and query_result can filter it again without calling the API."`
	MaxPages             int              `json:"max_pages,omitempty" jsonschema:"minimum=1,maximum=10" jsonschema_description:"GET only: fetch up to this many pages (at most 10) in this one call, following the API's next-page marker (a Link header, nextPageToken, next_cursor, …), and join their items into one list. The result says how many pages came and why it stopped (no next page, the API's rate limit)."`
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
	Result     string            `json:"result,omitempty" jsonschema_description:"Present when the jq filter left part of the response out: the id of the whole response, kept for query_result."`
	NextPage   *pageHint         `json:"next_page,omitempty" jsonschema_description:"Present when the API has a next page: call proxy_execute again with the same toolkit_slug and method, and this endpoint, parameters and body."`
	Paging     *pagingOutput     `json:"paging,omitempty" jsonschema_description:"Present with max_pages: how many pages were fetched and joined, and why it stopped."`
	Saved      *savedOutput      `json:"saved,omitempty" jsonschema_description:"Present with --download-dir: where the binary response was saved, or why it was not."`
}

type binaryOutput struct {
	URL         string `json:"url" jsonschema:"required"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	ExpiresAt   string `json:"expires_at,omitempty"`
}

const proxyDescription = `Call any endpoint of a third-party API (Gmail, GitHub, Slack, Google Calendar, Notion, …) as the user, through Composio: Composio adds the credentials of the user's connected account for the toolkit and forwards the request.

Give the toolkit, an endpoint path relative to that API's base URL, the method, and optionally a JSON body, query parameters and headers, or binary data. The result has the API's HTTP status, response body and headers; binary responses come as a download link. Error results explain what went wrong and what to do next.`

// proxyDefinition returns the proxy_execute tool definition. Its schema and
// annotations reflect the Policy and the features cfg turns on, so that a
// model is told up front what it may do.
func proxyDefinition(cfg *Config) mcp.Tool {
	t := mcp.NewToolWithRawSchema(ProxyExecuteName, proxyDescription, proxyInputSchema(cfg))
	t.RawOutputSchema = mustSchema(proxyOutput{})
	t.Title = "Call a third-party API through Composio"
	readOnly := cfg.Policy.ReadOnly()
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(!readOnly),
		IdempotentHint:  mcp.ToBoolPtr(readOnly),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	extendTool(&t, cfg)
	return t
}

// proxyInputSchema returns the input schema for cfg: the generated bytes of
// the default policy's schema when cfg edits nothing else, which is how most
// servers run; otherwise the policy-free schema, decoded and edited.
func proxyInputSchema(cfg *Config) json.RawMessage {
	if !editsInput(cfg) {
		return generatedSchema(defaultInputName)
	}
	in := decodeSchema(generatedSchema(policyFreeInputName))
	editInput(in, cfg)
	return encodeSchema(in)
}

// editsInput reports whether editInput makes of cfg a schema other than the
// zero Config's, by reading what editInput reads.
func editsInput(cfg *Config) bool {
	return !slices.Equal(cfg.Policy.methods(), client.Methods()) || len(cfg.Policy.Toolkits) > 0 ||
		cfg.Policy.AllowAbsoluteURLs || cfg.Policy.AllowCustomConnectionData || len(cfg.UploadRoots) > 0
}

// editInput narrows the policy-free input schema in to what cfg's policy
// allows, and offers the file variant when cfg has upload roots.
func editInput(in map[string]any, cfg *Config) {
	property(in, "method")["enum"] = cfg.Policy.methods()
	if len(cfg.Policy.Toolkits) > 0 {
		property(in, "toolkit_slug")["enum"] = cfg.Policy.Toolkits
	}
	if !cfg.Policy.AllowAbsoluteURLs {
		ep := property(in, "endpoint")
		ep["description"] = strings.Replace(ep["description"].(string),
			"An absolute URL works only on the toolkit's own API domain.",
			"Absolute URLs are refused by this server.", 1)
	}
	if !cfg.Policy.AllowCustomConnectionData {
		ccd := property(in, "custom_connection_data")
		ccd["description"] = "Deprecated by Composio, and refused by this server: raw credentials to use instead of the connected account. Leave it out."
	}
	addFileVariant(in, cfg.UploadRoots)
}

// policyFreeInput assembles the input schema from the schemas of its types:
// the arguments with binary_body's variants. The generator calls it; the
// server reads its result from schemas_gen.go.
func policyFreeInput(of schemaOf) map[string]any {
	in := of(proxyInput{})
	addProperty(in, "binary_body", map[string]any{
		"description": "Binary request body, instead of body: either a URL Composio fetches the bytes from, or the bytes as base64 (at most 4 MB decoded).",
		"oneOf":       []any{of(binaryURLInput{}), of(binaryBase64Input{})},
	})
	return in
}
