package client

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Methods returns the HTTP methods proxy_execute accepts, in the order
// Composio documents them; the slice is the caller's own.
func Methods() []string { return []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"} }

// ProxyRequest is the body of POST /api/v3/tool_router/session/{id}/proxy_execute.
// Optional fields are omitted when unset, so a request carries only what the caller gave.
type ProxyRequest struct {
	// ToolkitSlug picks the connected account, e.g. "gmail".
	ToolkitSlug string `json:"toolkit_slug"`
	// Endpoint is a path relative to the account's base URL, or an absolute URL.
	Endpoint string `json:"endpoint"`
	// Method is one of Methods().
	Method string `json:"method"`
	// Body is the upstream request body as raw JSON (an object or null); nil means absent.
	Body json.RawMessage `json:"body,omitempty"`
	// BinaryBody is a binary upload, by URL or as base64.
	BinaryBody *BinaryBody `json:"binary_body,omitempty"`
	// Parameters are extra headers and query parameters.
	Parameters []Parameter `json:"parameters,omitempty"`
	// CustomConnectionData carries raw credentials; deprecated by Composio.
	CustomConnectionData json.RawMessage `json:"custom_connection_data,omitempty"`
}

// BinaryBody is a binary request body: exactly one of URL or Base64 is set.
type BinaryBody struct {
	URL         string `json:"url,omitempty"`
	Base64      string `json:"base64,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// Parameter is one header or query parameter; Type is "header" or "query".
type Parameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

// ProxyResponse is Composio's 200 answer to proxy_execute. Status is the status the
// third-party API returned: an upstream 404 arrives as HTTP 200 with Status 404.
type ProxyResponse struct {
	// Data is the upstream body as Composio parsed it: JSON, a string, or {} for binaries.
	Data json.RawMessage `json:"data,omitempty"`
	// BinaryData describes a binary download, when the upstream answered with one.
	BinaryData *BinaryData `json:"binary_data,omitempty"`
	// Status is the third-party API's HTTP status.
	Status int `json:"status"`
	// Headers are the upstream response headers.
	Headers Headers `json:"headers,omitempty"`

	// HTTPStatus is the status of Composio's own HTTP response (normally 200), kept apart
	// from Status so that an upstream error is never mistaken for a Composio one.
	HTTPStatus int `json:"-"`
	// RequestID is Composio's request id from the response headers, empty if none;
	// Composio's support asks for it.
	RequestID string `json:"-"`
	// Attempts is how many times the call was sent (1 unless a retry was needed), so
	// that a caller can tell the model an answer came only after retrying.
	Attempts int `json:"-"`
}

// BinaryData is a signed, expiring download link for a binary upstream response.
type BinaryData struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	ExpiresAt   string `json:"expires_at,omitempty"`
}

// Headers is a string map of response headers. It decodes leniently: a non-string value
// (a number, or a list of values) becomes its string form, so one odd header cannot
// fail a whole response.
type Headers map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (h *Headers) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		*h = nil
		return nil
	}
	out := make(Headers, len(raw))
	for k, v := range raw {
		out[k] = looseString(v)
	}
	*h = out
	return nil
}

// looseString renders a JSON value as a string: strings unquoted, arrays of strings
// joined with ", " (the HTTP convention for repeated headers), anything else as JSON.
func looseString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, ", ")
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

// Code is an error code that Composio sends either as a number (4302) or as a string
// ("OriginMismatch"); it keeps the text form of either.
type Code string

// UnmarshalJSON implements json.Unmarshaler.
func (c *Code) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Code(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*c = Code(n.String())
		return nil
	}
	if string(b) == "null" {
		*c = ""
		return nil
	}
	return fmt.Errorf("error code: want a string or a number, got %s", b)
}

// Statuses of a connected account, as Composio names them. Only StatusActive lets
// proxy_execute use the account.
const (
	StatusActive    = "ACTIVE"
	StatusInitiated = "INITIATED" // a connection was started and not finished
	StatusExpired   = "EXPIRED"   // the account's credentials expired or were revoked
	StatusFailed    = "FAILED"    // connecting the account failed
	StatusInactive  = "INACTIVE"  // the account was disabled
)
