package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// BenchmarkToolResponseEncoding compares the two ways a proxy_execute answer
// reaches stdout: json.Marshal, as mcp-go's stdio transport encodes every
// message, and appendMessage, which callRouter uses for tool calls. The
// result carries the response twice, in the text block and in
// structuredContent, as proxy_execute's results do.
//
//	go test -run '^$' -bench ToolResponseEncoding -benchmem ./server
func BenchmarkToolResponseEncoding(b *testing.B) {
	for _, n := range []int{1 << 10, 256 << 10} {
		head := `{"status":200,"data":{"size":` + strconv.Itoa(n) + `,"payload":"`
		filler := max(n-len(head)-3, 0)
		pattern := "composiotest payload 0123456789 abcdefghijklmnopqrstuvwxyz "
		structured := head + strings.Repeat(pattern, filler/len(pattern)+1)[:filler] + `"}}`
		msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(1)), &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent("github GET /bytes → HTTP 200 OK\n" + structured)},
			StructuredContent: json.RawMessage(structured),
		})
		name := strconv.Itoa(n>>10) + "KiB"
		b.Run("json.Marshal/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := json.Marshal(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("appendMessage/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := appendMessage(nil, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
