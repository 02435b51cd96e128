package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func toolResponse(id any, res *mcp.CallToolResult) mcp.JSONRPCMessage {
	return mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), res)
}

// TestAppendMessageMatchesJSONMarshal holds appendMessage to its contract:
// the bytes of json.Marshal, for tool results on the fast path and for
// everything that falls back.
func TestAppendMessageMatchesJSONMarshal(t *testing.T) {
	t.Parallel()
	size := int64(12)
	link := mcp.NewResourceLink("https://s.test/a.pdf?x=1&y=<2>", "a.pdf", "Download link", "application/pdf")
	link.Size = &size
	tricky := "quote \" backslash \\ <tag> & amp \u2028 \u2029 tab\t nl\n cr\r nul\x00 bell\x07 bad \xff\xfe utf8 é 😀 \x7f"
	tests := map[string]mcp.JSONRPCMessage{
		"text and structured": toolResponse(int64(7), &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent("github GET /user → HTTP 200 OK\n" + `{"status":200,"data":{"login":"octo"}}`)},
			StructuredContent: json.RawMessage(`{"status":200,"data":{"login":"octo"}}`),
		}),
		"tricky text":   toolResponse("abc-\u2028<id>", &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(tricky)}}),
		"isError":       toolResponse(int64(1), &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("nope")}, IsError: true}),
		"no content":    toolResponse(int64(2), &mcp.CallToolResult{}),
		"value result":  mcp.NewJSONRPCResultResponse(mcp.NewRequestId(float64(3)), mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("by value")}}),
		"resource link": toolResponse(int64(4), &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("t"), link}, StructuredContent: json.RawMessage(`{"a":[1,2,{"b":null}],"c":"\u003cx\u003e"}`)}),
		"image": toolResponse(int64(5), &mcp.CallToolResult{Content: []mcp.Content{
			mcp.NewImageContent("aGVsbG8=", "image/png"), mcp.NewTextContent("after")}}),
		"annotated text": toolResponse(int64(6), &mcp.CallToolResult{Content: []mcp.Content{
			mcp.TextContent{Type: "text", Text: "x", Annotated: mcp.Annotated{Annotations: &mcp.Annotations{Priority: ptr(0.5)}}}}}),
		// The fallbacks: structuredContent that encoding/json would change,
		// or is not raw JSON, and results with fields the fast path omits.
		"spaced structured":   toolResponse(int64(8), &mcp.CallToolResult{Content: []mcp.Content{}, StructuredContent: json.RawMessage(`{ "a" : 1 }`)}),
		"html in structured":  toolResponse(int64(9), &mcp.CallToolResult{StructuredContent: json.RawMessage(`{"a":"<b>&"}`)}),
		"u2028 in structured": toolResponse(int64(10), &mcp.CallToolResult{StructuredContent: json.RawMessage("{\"a\":\"\u2028\"}")}),
		"map structured":      toolResponse(int64(11), &mcp.CallToolResult{StructuredContent: map[string]any{"z": 1, "a": "<"}}),
		"empty raw":           toolResponse(int64(12), &mcp.CallToolResult{StructuredContent: json.RawMessage{}}),
		"meta": toolResponse(int64(13), &mcp.CallToolResult{Result: mcp.Result{Meta: &mcp.Meta{AdditionalFields: map[string]any{"k": "v"}}},
			Content: []mcp.Content{mcp.NewTextContent("m")}}),
		"resultType":   toolResponse(int64(14), &mcp.CallToolResult{Result: mcp.Result{ResultType: mcp.ResultTypeComplete}, Content: []mcp.Content{mcp.NewTextContent("r")}}),
		"other result": mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(15)), mcp.ListToolsResult{Tools: []mcp.Tool{mcp.NewTool("t")}}),
		"error": mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(16)),
			Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, "internal panic: <boom>", nil)},
	}
	for name, msg := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, wantErr := json.Marshal(msg)
			got, err := appendMessage([]byte("prefix"), msg)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
			}
			if err != nil {
				return // mcp-go would log it and write nothing, as the router does
			}
			if want = append(want, '\n'); !bytes.Equal(got[len("prefix"):], want) {
				t.Errorf("appendMessage:\n got %s\nwant %s", got[len("prefix"):], want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func FuzzAppendMessage(f *testing.F) {
	f.Add("github GET /x → HTTP 200\n{}", []byte(`{"status":200,"data":{"k":"v"}}`), false)
	f.Add("<&>\u2028", []byte(`{"a":"\\u003c"}`), true)
	f.Add("\xff", []byte(`[1,2.5e3,true,null,"x\"y"]`), false)
	f.Fuzz(func(t *testing.T, text string, structured []byte, isError bool) {
		if !json.Valid(structured) {
			return
		}
		msg := toolResponse(int64(1), &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent(text)},
			StructuredContent: json.RawMessage(structured),
			IsError:           isError,
		})
		want, err := json.Marshal(msg)
		if err != nil {
			t.Skip(err)
		}
		got, err := appendMessage(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, append(want, '\n')) {
			t.Errorf("appendMessage:\n got %s\nwant %s", got, want)
		}
	})
}
