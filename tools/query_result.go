package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// QueryResultName is the name under which the stored-result tool is registered.
const QueryResultName = "query_result"

// queryResult serves the query_result tool: a stored response (one that was
// cut, or narrowed by jq), filtered again by jq and read page by page, under
// the budget that proxy_execute's results have. It is the way back to a
// stored result for every client, whether or not it reads MCP resources.
type queryResult struct {
	def   mcp.Tool
	store *results.Store
	limit int // the size of a page; 0: one page
	jq    jqSlots
}

type queryResultInput struct {
	Result string `json:"result" jsonschema:"required,minLength=1" jsonschema_description:"The id of a stored result, as a proxy_execute result names it (or its composio-proxy://results/… URI)."`
	JQ     string `json:"jq,omitempty" jsonschema_description:"A jq filter applied to the stored response's data, as proxy_execute's jq, e.g. \"[.items[] | {id, name}] | .[:20]\"; several outputs come back as one JSON array. Leave it out for the data as it is."`
	Page   int    `json:"page,omitempty" jsonschema:"minimum=1" jsonschema_description:"Which page of the (filtered) output to return, from 1; default 1. A result too large for one says how many pages there are."`
}

const queryResultDescription = `Read a response that proxy_execute stored (because it was cut, or its jq filter left something out) without calling the API again: filter it with jq, and page through what comes out.

Give the result id that the proxy_execute result named; a result belongs to the caller that made it and is kept for a while only.`

func newQueryResult(e *env) *queryResult {
	t := mcp.NewToolWithRawSchema(QueryResultName, queryResultDescription, mustSchema(queryResultInput{}))
	t.Title = "Filter or page a stored proxy_execute response"
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(true),
		DestructiveHint: mcp.ToBoolPtr(false),
		IdempotentHint:  mcp.ToBoolPtr(true),
		OpenWorldHint:   mcp.ToBoolPtr(false),
	}
	return &queryResult{def: t, store: e.cfg.Results, limit: e.cfg.MaxResultBytes, jq: e.jq}
}

// Tool returns the query_result tool definition.
func (q *queryResult) Tool() mcp.Tool { return q.def }

// Handle is the tool handler for query_result.
func (q *queryResult) Handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in queryResultInput
	if res, err := decodeArgs(req, &in, "result", "jq", "page"); res != nil || err != nil {
		return res, err
	}
	var filter *jqFilter
	if strings.TrimSpace(in.JQ) != "" {
		f, err := compileJQ(in.JQ)
		if err != nil {
			return errorResult("invalid arguments:\n- jq: " + err.Error()), nil
		}
		filter = f
	}
	if q.store == nil {
		return errorResult("This server keeps no results (it runs with --max-result-bytes 0), so there is nothing to query: call proxy_execute instead, with jq to ask for less."), nil
	}
	ctx = results.WithCallHeader(ctx, req.Header) // a result is its caller's only
	r, ok, err := q.store.Get(ctx, strings.TrimSpace(in.Result))
	if err != nil {
		return errorResult(storeUnavailableText()), nil
	}
	if !ok {
		return errorResult(fmt.Sprintf("No stored result %q: it has expired (results are kept for %s), been evicted, or the id is wrong; a result is readable only by the caller that made it. Call proxy_execute again, with jq to ask for less.", in.Result, q.store.TTL())), nil
	}
	data, err := storedData(r)
	if err != nil {
		return errorResult(err.Error()), nil
	}
	out := data
	if filter != nil {
		if out, err = filter.run(ctx, data, q.jq); err != nil {
			return errorResult(fmt.Sprintf("Result %s (%s): %v", r.ID(), r.Name(), err)), nil
		}
	}
	page := max(in.Page, 1)
	shown, pages := budgetPage(out, q.pageBytes(in.JQ), page)
	if page > pages {
		return errorResult(fmt.Sprintf("Result %s has no page %d: its output has pages 1 to %d.", r.ID(), page, pages)), nil
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(q.text(r, in.JQ, out, shown, page, pages))}}, nil
}

// queryFraming bounds what text adds around a page, besides the filter
// (which it repeats twice): ids, sizes, the next call.
const queryFraming = 512

// pageBytes is the size of a page, so that a page with its framing stays in
// the budget: the budget counts characters, and a page has no more
// characters than bytes.
func (q *queryResult) pageBytes(jq string) int {
	if q.limit <= 0 {
		return 0
	}
	return max(q.limit-queryFraming-2*len(jq), minPageBytes)
}

// minPageBytes keeps a page useful whatever the filter's length.
const minPageBytes = 1024

// text is the answer: what was read, the page, and how to get the next.
func (q *queryResult) text(r *results.Result, jq string, out, shown []byte, page, pages int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Result %s (%s)", r.ID(), r.Name())
	if jq != "" {
		fmt.Fprintf(&b, ", jq %q", jq)
	}
	fmt.Fprintf(&b, ": %s", sizeText(int64(len(out))))
	if pages > 1 {
		fmt.Fprintf(&b, ", page %d of %d", page, pages)
	}
	b.WriteString("\n")
	b.Write(shown)
	if page < pages {
		next, _ := json.Marshal(queryResultInput{Result: r.ID(), JQ: jq, Page: page + 1})
		fmt.Fprintf(&b, "\n[page %d of %d; the next: %s %s, or narrow the jq filter]", page, pages, QueryResultName, next)
	}
	return b.String()
}

// storedData is what query_result filters of a stored result: the data of a
// stored proxy_execute response, or the whole of any other JSON.
func storedData(r *results.Result) ([]byte, error) {
	if r.MIME() != "application/json" {
		return nil, fmt.Errorf("Result %s (%s) is %s, not JSON, so jq cannot read it: read it with resources/read on %s.", r.ID(), r.Name(), r.MIME(), r.URI())
	}
	var resp struct {
		Status *int            `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if json.Unmarshal(r.Data(), &resp) == nil && resp.Status != nil {
		if len(resp.Data) == 0 {
			return []byte("null"), nil
		}
		return resp.Data, nil
	}
	return r.Data(), nil
}

// budgetPage is page n (from 1) of out, in pages of at most limit bytes (0:
// one page), and how many pages there are. It cuts with cutPoints, today's
// cut of proxy_execute's results; the one place to switch when that cut
// changes.
func budgetPage(out []byte, limit, n int) (shown []byte, pages int) {
	if limit <= 0 {
		if n == 1 {
			return out, 1
		}
		return nil, 1
	}
	starts := cutPoints(out, limit, true)
	if n > len(starts) {
		return nil, len(starts)
	}
	end := len(out)
	if n < len(starts) {
		end = starts[n]
	}
	return out[starts[n-1]:end], len(starts)
}
