package server

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/rawjson"
)

// appendMessage appends msg and a newline to dst: exactly the bytes of
// json.Marshal(msg), which is what mcp-go's stdio transport writes. A tool
// result whose structuredContent is compact JSON (as json.Marshal makes it)
// takes a path that copies that JSON as it is, instead of having
// encoding/json re-compact it twice; any other message goes to json.Marshal.
func appendMessage(dst []byte, msg mcp.JSONRPCMessage) ([]byte, error) {
	if resp, ok := msg.(mcp.JSONRPCResponse); ok {
		var res *mcp.CallToolResult
		switch v := resp.Result.(type) {
		case *mcp.CallToolResult:
			res = v
		case mcp.CallToolResult:
			res = &v
		}
		if res != nil {
			if out, ok, err := appendToolResponse(dst, resp, res); ok {
				return out, err
			}
		}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return dst, err
	}
	return append(append(dst, b...), '\n'), nil
}

// appendToolResponse writes resp, whose result is res, as
// CallToolResult.MarshalJSON and the enclosing encoder would, when res is
// plain enough for that to be simple; ok is false when it is not.
func appendToolResponse(dst []byte, resp mcp.JSONRPCResponse, res *mcp.CallToolResult) (out []byte, ok bool, err error) {
	if res.Meta != nil || res.ResultType != "" || len(res.InputRequests) > 0 || res.RequestState != "" || len(res.RawStructuredContent) > 0 {
		return dst, false, nil
	}
	var structured json.RawMessage
	switch v := res.StructuredContent.(type) {
	case nil:
	case json.RawMessage:
		if len(v) == 0 || !rawjson.IsCompact(v) {
			return dst, false, nil
		}
		structured = v
	default:
		return dst, false, nil
	}
	// One allocation for the whole message: text is escaped as it is copied,
	// which for JSON in text (quotes become \") grows it by about a tenth.
	need := len(structured) + 256
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			need += len(t.Text) + len(t.Text)/8
		}
	}
	dst = slices.Grow(dst, need)
	start := len(dst)
	defer func() {
		if err != nil {
			out = dst[:start]
		}
	}()
	// CallToolResult.MarshalJSON encodes a map, so its keys come sorted:
	// content, isError, structuredContent.
	dst = append(dst, `{"jsonrpc":`...)
	if dst, err = appendJSON(dst, resp.JSONRPC); err != nil {
		return dst, true, err
	}
	dst = append(dst, `,"id":`...)
	if dst, err = appendJSON(dst, resp.ID); err != nil {
		return dst, true, err
	}
	dst = append(dst, `,"result":{"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			dst = append(dst, ',')
		}
		if t, ok := c.(mcp.TextContent); ok && t.Annotations == nil && t.Meta == nil {
			dst = append(dst, `{"type":`...)
			if dst, err = appendJSON(dst, t.Type); err != nil {
				return dst, true, err
			}
			dst = append(dst, `,"text":`...)
			if dst, err = appendJSON(dst, t.Text); err != nil {
				return dst, true, err
			}
			dst = append(dst, '}')
			continue
		}
		if dst, err = appendJSON(dst, c); err != nil {
			return dst, true, err
		}
	}
	dst = append(dst, ']')
	if res.IsError {
		dst = append(dst, `,"isError":true`...)
	}
	if structured != nil {
		dst = append(dst, `,"structuredContent":`...)
		dst = append(dst, structured...)
	}
	return append(dst, "}}\n"...), true, nil
}

// appendJSON appends v as json.Marshal encodes it.
func appendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return dst, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // Encode ends with a newline
}
