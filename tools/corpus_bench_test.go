package tools

import (
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// The corpus benchmark: for each of composiotest's realistic answers, the
// characters a model is handed (every text block of the result) against
// the raw answer, as custom metrics; docs/BENCHMARKS.md quotes them.
//
//	go test -run '^$' -bench Corpus ./tools

// corpusFilters are the jq filters a model would write for each corpus
// answer, for the jq row of the benchmark once proxy_execute takes a "jq"
// argument.
var corpusFilters = map[string]string{
	"github repos":    `[.[] | {id, name, html_url}]`,
	"github issues":   `[.[] | {number, title, state, user: .user.login}]`,
	"gmail messages":  `[.messages[] | .id] | .[:50]`,
	"gmail message":   `{id, snippet, headers: [.payload.headers[] | select(.name == "From" or .name == "Subject")]}`,
	"slack history":   `[.messages[] | {user, text, ts}]`,
	"calendar events": `[.items[] | {summary, start: .start.dateTime}]`,
	"notion query":    `[.results[] | {id, title: .properties.Name.title[0].plain_text, status: .properties.Status.status.name}]`,
}

// replay answers every call with one recorded response.
type replay struct{ resp *client.ProxyResponse }

func (r replay) ProxyExecute(context.Context, string, *client.ProxyRequest) (*client.ProxyResponse, error) {
	resp := *r.resp
	return &resp, nil
}

// corpusResponses fetches each corpus answer once from the fake, over HTTP.
func corpusResponses(tb testing.TB) map[string]*client.ProxyResponse {
	tb.Helper()
	fake := composiotest.NewServer()
	tb.Cleanup(fake.Close)
	c, err := fake.Client()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, session := context.Background(), fake.CorpusSession()
	out := map[string]*client.ProxyResponse{}
	for _, a := range composiotest.Corpus() {
		resp, err := c.ProxyExecute(ctx, session, &client.ProxyRequest{ToolkitSlug: a.Toolkit, Endpoint: a.Endpoint, Method: a.Method, Body: a.Body})
		if err != nil || resp.Status != 200 {
			tb.Fatalf("%s: %v", a.Name, err)
		}
		out[a.Name] = resp
	}
	return out
}

// returnedChars counts the characters of a result's text blocks, what a
// client that shows text hands the model.
func returnedChars(res *mcp.CallToolResult) int {
	n := 0
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			n += utf8.RuneCountInString(tc.Text)
		}
	}
	return n
}

// hasJQ reports whether proxy_execute takes a "jq" argument.
func hasJQ() bool {
	return property(decodeSchema(generatedSchema(policyFreeInputName)), "jq") != nil
}

func BenchmarkCorpus(b *testing.B) {
	responses := corpusResponses(b)
	for _, a := range composiotest.Corpus() {
		resp := responses[a.Name]
		call := map[string]any{"toolkit_slug": a.Toolkit, "endpoint": a.Endpoint, "method": a.Method}
		if a.Body != nil {
			call["body"] = a.Body
		}
		run := func(b *testing.B, call map[string]any) {
			p := testProxy(replay{resp}, "trs_bench", Config{MaxResultBytes: DefaultMaxResultBytes, Results: results.New(results.Config{})})
			raw, _ := json.Marshal(call)
			var req mcp.CallToolRequest
			req.Params.Name = ProxyExecuteName
			req.Params.RawArguments = raw
			var res *mcp.CallToolResult
			for b.Loop() {
				var err error
				if res, err = p.Handle(context.Background(), req); err != nil || res.IsError {
					b.Fatalf("%v %v", err, res)
				}
			}
			b.ReportMetric(float64(utf8.RuneCount(resp.Data)), "raw_chars")
			b.ReportMetric(float64(returnedChars(res)), "returned_chars")
		}
		b.Run(a.Name+"/default", func(b *testing.B) { run(b, call) })
		b.Run(a.Name+"/jq", func(b *testing.B) {
			if !hasJQ() {
				b.Skip(`proxy_execute has no "jq" argument yet: this row measures corpusFilters once it does`)
			}
			withJQ := map[string]any{"jq": corpusFilters[a.Name]}
			for k, v := range call {
				withJQ[k] = v
			}
			run(b, withJQ)
		})
	}
}

// TestCorpusFilters keeps a filter for every corpus answer.
func TestCorpusFilters(t *testing.T) {
	t.Parallel()
	for _, a := range composiotest.Corpus() {
		if corpusFilters[a.Name] == "" {
			t.Errorf("no jq filter for %q", a.Name)
		}
	}
}
