package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The benchmarks of the client's share of a proxied call: encoding the
// request, decoding Composio's answer, and the whole ProxyExecute over
// loopback HTTP. They report; they assert nothing about time.
//
//	go test -run '^$' -bench . -benchmem ./client

var benchSizes = []int{1 << 10, 256 << 10}

func sizeName(n int) string { return strconv.Itoa(n>>10) + "KiB" }

// benchAnswer is Composio's 200 answer carrying a JSON body of about n bytes.
func benchAnswer(n int) []byte {
	head := `{"size":` + strconv.Itoa(n) + `,"payload":"`
	filler := max(n-len(head)-2, 0)
	pattern := "composiotest payload 0123456789 abcdefghijklmnopqrstuvwxyz "
	data := head + strings.Repeat(pattern, filler/len(pattern)+1)[:filler] + `"}`
	return []byte(`{"data":` + data + `,"status":200,"headers":{"content-type":"application/json","x-upstream":"composiotest"}}`)
}

// BenchmarkProxyCall is request encoding: the path and JSON body of a call,
// small and with a 4 MiB base64 upload.
func BenchmarkProxyCall(b *testing.B) {
	reqs := map[string]*ProxyRequest{
		"minimal": {ToolkitSlug: "github", Endpoint: "/bytes/1024", Method: "GET"},
		"full": {ToolkitSlug: "github", Endpoint: "/repos/o/r/issues", Method: "POST",
			Body:       json.RawMessage(`{"title":"Found a bug","body":"Steps to reproduce: …","labels":["bug","p1"]}`),
			Parameters: []Parameter{{Name: "per_page", Value: "50", Type: "query"}, {Name: "Accept", Value: "application/vnd.github+json", Type: "header"}}},
		"base64-4MiB": {ToolkitSlug: "github", Endpoint: "/upload", Method: "POST",
			BinaryBody: &BinaryBody{Base64: base64.StdEncoding.EncodeToString(make([]byte, 4<<20)), ContentType: "application/octet-stream"}},
	}
	for _, name := range []string{"minimal", "full", "base64-4MiB"} {
		req := reqs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := proxyCall(apiPrefix(APIv3), "trs_bench", req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeProxyResponse is the decoding of Composio's answer, as
// attempt does it (decodeBody; json.Unmarshal below 4 KiB).
func BenchmarkDecodeProxyResponse(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			body := benchAnswer(n)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var out ProxyResponse
				if err := decodeBody(body, &out, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProxyExecute is the whole client call against a loopback server
// that answers with canned bytes: request encoding, HTTP, decoding.
func BenchmarkProxyExecute(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			body := benchAnswer(n)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c, err := New(WithBaseURL(srv.URL), WithAPIKey("ak_bench"))
			if err != nil {
				b.Fatal(err)
			}
			req := &ProxyRequest{ToolkitSlug: "github", Endpoint: "/bytes/" + strconv.Itoa(n), Method: "GET"}
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := c.ProxyExecute(ctx, "trs_bench", req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
