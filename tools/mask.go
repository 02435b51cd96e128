package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
)

// masker hides the secrets the process knows (its Composio keys, its MCP
// token) and, on a multi-tenant server, the caller's own key, wherever a tool
// result carries them: an upstream that echoes a request header back, in an
// error envelope, an HTML page or its data, would otherwise hand the key to
// the model. A nil *masker masks nothing.
type masker struct {
	fixed  []string
	caller func(http.Header) []string
}

// newMasker returns a masker of secrets, and of what caller returns for the
// HTTP headers of each call (nil: nothing more). Secrets shorter than 4 bytes
// are ignored, as in the logs: masking them would mangle ordinary text.
func newMasker(caller func(http.Header) []string, secrets ...string) *masker {
	fixed := maskSet(nil, secrets)
	if len(fixed) == 0 && caller == nil {
		return nil
	}
	return &masker{fixed: fixed, caller: caller}
}

// maskSet adds to set each secret worth masking, in the clear and, when it
// differs, as encoding/json writes it inside a string, since structured
// content and text carrying JSON hold the escaped form.
func maskSet(set, secrets []string) []string {
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		if !slices.Contains(set, s) {
			set = append(set, s)
		}
		if b, err := json.Marshal(s); err == nil {
			if esc := string(b[1 : len(b)-1]); esc != s && !slices.Contains(set, esc) {
				set = append(set, esc)
			}
		}
	}
	return set
}

// forCall is the set to mask in the result of a call with these headers.
func (m *masker) forCall(h http.Header) []string {
	if m == nil {
		return nil
	}
	if m.caller == nil || h == nil {
		return m.fixed
	}
	return maskSet(slices.Clip(m.fixed), m.caller(h))
}

func maskString(s string, set []string) string {
	for _, sec := range set {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redact.Marker)
		}
	}
	return s
}

// maskBytes returns b with the secrets masked: b itself when it holds none
// (the common case costs one search per secret), else a new slice, so that
// bytes shared with a caller are never written to.
func maskBytes(b []byte, set []string) []byte {
	for _, sec := range set {
		if bytes.Contains(b, []byte(sec)) {
			b = bytes.ReplaceAll(b, []byte(sec), []byte(redact.Marker))
		}
	}
	return b
}

// result masks res in place: its text blocks, the text of embedded
// resources, and its structured content.
func maskResult(res *mcp.CallToolResult, set []string) {
	if res == nil || len(set) == 0 {
		return
	}
	for i, c := range res.Content {
		switch v := c.(type) {
		case mcp.TextContent:
			v.Text = maskString(v.Text, set)
			res.Content[i] = v
		case mcp.EmbeddedResource:
			if t, ok := v.Resource.(mcp.TextResourceContents); ok {
				t.Text = maskString(t.Text, set)
				v.Resource = t
				res.Content[i] = v
			}
		}
	}
	switch v := res.StructuredContent.(type) {
	case nil:
	case json.RawMessage:
		res.StructuredContent = json.RawMessage(maskBytes(v, set))
	default:
		if b, err := json.Marshal(v); err == nil {
			if m := maskBytes(b, set); len(m) != len(b) || !bytes.Equal(m, b) {
				res.StructuredContent = json.RawMessage(m)
			}
		}
	}
}

// wrap returns next with its results masked: every tool handler goes through
// it, so no result reaches a client with a secret in it.
func (m *masker) wrap(next func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)) func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if m == nil {
		return next
	}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := next(ctx, req)
		maskResult(res, m.forCall(req.Header))
		return res, err
	}
}

// maskResponse masks an upstream answer before it is shaped into a result,
// so that the whole of a response cut for the result store is clean too.
func (m *masker) maskResponse(h http.Header, resp *client.ProxyResponse) {
	set := m.forCall(h)
	if len(set) == 0 || resp == nil {
		return
	}
	resp.Data = maskBytes(resp.Data, set)
	for k, v := range resp.Headers {
		resp.Headers[k] = maskString(v, set)
	}
	if bd := resp.BinaryData; bd != nil {
		bd.URL = maskString(bd.URL, set)
	}
}
