package tools

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// The benchmarks of the per-call path: argument validation, result mapping,
// and the whole handler against an in-process executor, at the response
// sizes of docs/BENCHMARKS.md. They report; they assert nothing about time.
//
//	go test -run '^$' -bench . -benchmem ./tools

// benchSizes are the response sizes measured: a typical API answer and a
// large listing.
var benchSizes = []int{1 << 10, 256 << 10}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// benchData is a JSON object of about n bytes, shaped like composiotest's
// /bytes/{n} answer.
func benchData(n int) json.RawMessage {
	head := `{"size":` + strconv.Itoa(n) + `,"payload":"`
	const tail = `"}`
	filler := max(n-len(head)-len(tail), 0)
	pattern := "composiotest payload 0123456789 abcdefghijklmnopqrstuvwxyz "
	s := strings.Repeat(pattern, filler/len(pattern)+1)[:filler]
	return json.RawMessage(head + s + tail)
}

func benchResponse(n int) *client.ProxyResponse {
	return &client.ProxyResponse{
		Data:       benchData(n),
		Status:     200,
		Headers:    client.Headers{"content-type": "application/json", "x-upstream": "composiotest"},
		HTTPStatus: 200,
		RequestID:  "req_1",
		Attempts:   1,
	}
}

var benchArgs = []struct {
	name string
	raw  string
}{
	{"minimal", `{"toolkit_slug":"github","endpoint":"/bytes/1024","method":"GET"}`},
	{"full", `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues","method":"POST",` +
		`"body":{"title":"Found a bug","body":"Steps to reproduce: …","labels":["bug","p1"]},` +
		`"parameters":[{"name":"per_page","value":"50","type":"query"},{"name":"Accept","value":"application/vnd.github+json","type":"header"}]}`},
}

func BenchmarkParseArgs(b *testing.B) {
	for _, a := range benchArgs {
		b.Run(a.name, func(b *testing.B) {
			raw := []byte(a.raw)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := (argDecoder{}).decode(raw, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResponseResult(b *testing.B) {
	call := &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/bytes/1024", Method: "GET"}
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			resp := benchResponse(n)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if res, err := responseResult(call, resp, 0, time.Now); err != nil || res.IsError {
					b.Fatal("isError")
				}
			}
		})
	}
}

// BenchmarkResultEncoding is what mcp-go does with a result once the handler
// returns it: the JSON-RPC response encoded for the wire. The text block and
// structuredContent each carry the response, so a 256 KiB answer is encoded
// twice over.
func BenchmarkResultEncoding(b *testing.B) {
	call := &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/bytes/1024", Method: "GET"}
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			res, err := responseResult(call, benchResponse(n), 0, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(1)), res)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			var out int
			for b.Loop() {
				wire, err := json.Marshal(msg)
				if err != nil {
					b.Fatal(err)
				}
				out = len(wire)
			}
			b.ReportMetric(float64(out), "wire-bytes")
		})
	}
}

// staticExecutor answers every call with the same response, standing in for
// Composio so that the handler's own cost is what is measured.
type staticExecutor struct{ resp *client.ProxyResponse }

func (e staticExecutor) ProxyExecute(context.Context, string, *client.ProxyRequest) (*client.ProxyResponse, error) {
	r := *e.resp
	return &r, nil
}

// BenchmarkHandle is the whole tool handler, arguments to result, with the
// server's default options, against an in-process executor.
func BenchmarkHandle(b *testing.B) { benchHandle(b, false) }

// BenchmarkHandleAndEncode is BenchmarkHandle plus mcp-go's encoding of the
// response: the CPU a call costs the server apart from its transports.
func BenchmarkHandleAndEncode(b *testing.B) { benchHandle(b, true) }

func benchHandle(b *testing.B, encode bool) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			p := testProxy(staticExecutor{benchResponse(n)}, "trs_bench", Config{})
			var req mcp.CallToolRequest
			req.Params.Name = ProxyExecuteName
			req.Params.RawArguments = json.RawMessage(`{"toolkit_slug":"github","endpoint":"/bytes/` + strconv.Itoa(n) + `","method":"GET"}`)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				res, err := p.Handle(ctx, req)
				if err != nil || res.IsError {
					b.Fatalf("err %v, result %+v", err, res)
				}
				if encode {
					if _, err := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(1)), res)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
