package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// FuzzResponseResult feeds arbitrary Composio 200 bodies through decoding and
// result mapping: no panic, isError exactly when the upstream status is an
// error, structuredContent valid JSON and repeated in the text.
func FuzzResponseResult(f *testing.F) {
	f.Add([]byte(`{"data":{"id":"1"},"status":200,"headers":{"content-type":"application/json"}}`))
	f.Add([]byte(`{"data":"plain","status":404}`))
	f.Add([]byte(`{"data":{},"binary_data":{"url":"https://s.test/a%20b.pdf?x=1","content_type":"application/pdf","size":-5,"expires_at":"not a time"},"status":200}`))
	f.Add([]byte(`{"status":599,"headers":{"retry-after":["1","2"],"x":7}}`))
	f.Add([]byte(`{"data":null,"status":0}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var resp client.ProxyResponse
		if json.Unmarshal(body, &resp) != nil {
			return
		}
		call := &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "GET"}
		res, err := responseResult(call, &resp, 0, time.Now)
		if err != nil {
			// A response that cannot be encoded again is a fault of this
			// program, reported as a Go error rather than a result.
			return
		}
		if len(res.Content) == 0 {
			t.Fatal("no content")
		}
		txt, ok := res.Content[0].(mcp.TextContent)
		if !ok || txt.Text == "" {
			t.Fatalf("first block is not text: %#v", res.Content[0])
		}
		if res.StructuredContent == nil {
			if !res.IsError {
				t.Fatal("success without structuredContent")
			}
			return
		}
		if res.IsError != (resp.Status >= 400) {
			t.Fatalf("isError=%v for status %d", res.IsError, resp.Status)
		}
		sc, err := json.Marshal(res.StructuredContent)
		if err != nil || !json.Valid(sc) {
			t.Fatalf("structuredContent does not encode: %v", err)
		}
		if !strings.Contains(txt.Text, string(sc)) {
			t.Fatalf("text lacks the structured content")
		}
	})
}
