package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// filtered is the result of a call whose response the jq filter f narrows
// before it is shaped. Whenever the filter drops anything, or fails, the
// whole unfiltered response is kept, and the result names its id for
// query_result, so that the model can refine the filter without calling the
// API again. An error answer (status 400 and up) is not filtered: its body
// says what went wrong, which the filter was not written for.
func (s shaper) filtered(ctx context.Context, call *client.ProxyRequest, f *jqFilter, resp *client.ProxyResponse) (*mcp.CallToolResult, error) {
	if resp.Status >= 400 || resp.BinaryData != nil {
		return s.result(ctx, call, resp)
	}
	data := resp.Data
	if len(bytes.TrimSpace(data)) == 0 {
		data = json.RawMessage("null")
	}
	out, runErr := f.run(ctx, data, s.jq)
	if runErr == nil && jsonSame(out, data) {
		return s.result(ctx, call, resp)
	}
	whole, err := responseResult(call, resp, 0, s.now)
	if err != nil {
		return nil, err
	}
	stored, keepErr := s.keepWhole(ctx, call, whole.StructuredContent.(json.RawMessage))
	if runErr != nil {
		text := fmt.Sprintf("%s %s %s → HTTP %s, but %v", call.ToolkitSlug, call.Method, call.Endpoint, statusText(resp.Status), runErr)
		if stored != nil {
			text += fmt.Sprintf("\nThe whole response is kept for %s as result %s: fix the filter and call %s with {\"result\": %q, \"jq\": …} instead of calling the API again.",
				s.keep.store.TTL(), stored.ID(), QueryResultName, stored.ID())
		} else if keepErr != nil {
			text += "\n" + strings.TrimSpace(notKeptText("response", keepErr))
		}
		return errorResult(text), nil
	}
	narrowed := *resp
	narrowed.Data = out
	res, err := responseResult(call, &narrowed, s.keep.limit, s.now)
	if err != nil {
		return nil, err
	}
	noteFilter(res, f, len(data), len(out), keptData{store: s.keep.store, stored: stored, err: keepErr})
	return s.inline.inlineBinary(ctx, s.keep.limitResult(ctx, call, res), resp.BinaryData), nil
}

// keepWhole stores the whole structured content of a response in pages of
// the limit; nil when it could not be kept, with an error when the store did
// not answer.
func (s shaper) keepWhole(ctx context.Context, call *client.ProxyRequest, structured []byte) (*results.Result, error) {
	name := call.ToolkitSlug + " " + call.Method + " " + logEndpoint(call.Endpoint)
	return s.keep.store.Keep(ctx, name, "application/json", structured, cutPoints(structured, max(s.keep.limit, DefaultMaxResultBytes), true))
}

// noteFilter says in res what the filter kept, and where the whole is: a
// line before the structured content in the text, and its id as
// structuredContent's "result".
func noteFilter(res *mcp.CallToolResult, f *jqFilter, total, kept int, whole keptData) {
	stored, store := whole.stored, whole.store
	tc, ok := res.Content[0].(mcp.TextContent)
	structured, isRaw := res.StructuredContent.(json.RawMessage)
	if !ok || !isRaw {
		return
	}
	note := fmt.Sprintf("The jq filter %q kept %s of the response's %s of data.", f.src, sizeText(int64(kept)), sizeText(int64(total)))
	if stored != nil {
		note += fmt.Sprintf(" The whole response is kept for %s as result %s (%s): to see more or other parts of it, call %s with {\"result\": %q, \"jq\": …} instead of calling the API again.",
			store.TTL(), stored.ID(), stored.URI(), QueryResultName, stored.ID())
		withID := append([]byte(fmt.Sprintf(`{"result":%q,`, stored.ID())), structured[1:]...)
		if rest, cut := strings.CutSuffix(tc.Text, string(structured)); cut {
			tc.Text = rest + note + "\n" + string(withID)
		} else {
			tc.Text += note
		}
		res.StructuredContent = json.RawMessage(withID)
	} else {
		note += notKeptText("response", whole.err)
		rest, _ := strings.CutSuffix(tc.Text, string(structured))
		tc.Text = rest + note + "\n" + tc.Text[len(rest):]
	}
	res.Content[0] = tc
}

// jsonSame reports whether out, a filter's output, is the JSON value data:
// then the filter dropped nothing. Encodings of one value can differ (key
// order, escapes); one of another length is taken for another value, which
// at worst keeps a result that was not needed.
func jsonSame(out, data []byte) bool {
	if bytes.Equal(out, data) {
		return true
	}
	var c bytes.Buffer
	if json.Compact(&c, data) != nil || c.Len() != len(out) {
		return false
	}
	v, err := decodeJQInput(data)
	if err != nil {
		return false
	}
	canon, err := gojq.Marshal(v)
	return err == nil && bytes.Equal(canon, out)
}
