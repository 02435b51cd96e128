package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// limitResult cuts a result whose text is over the budget (in characters,
// framing included). The text keeps its head (the call and, for an error,
// the hint), says how much there was, how much is shown and how to get the
// rest, then carries the cut structuredContent itself: its data is what
// cutJSON keeps of the response's data, valid JSON. The whole response goes
// to the results.Store and is linked with a resource_link.
//
// structuredContent: the spec says it must conform to the outputSchema, and
// the text should carry the same information; many clients show only one of
// the two. So structuredContent is exactly what the text carries, never
// more, and says the same in "truncated", which the outputSchema declares
// whenever this server cuts results.
func (k keeper) limitResult(ctx context.Context, call *client.ProxyRequest, res *mcp.CallToolResult) *mcp.CallToolResult {
	budget := k.budget(res.IsError)
	structured, ok := res.StructuredContent.(json.RawMessage)
	if budget <= 0 || !ok || len(res.Content) == 0 {
		return res
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		return res
	}
	// The text is a head, followed by the structured content unless
	// responseResult left it out; keep the head. (The comparison converts
	// without copying.)
	head := tc.Text
	included := false
	if n := len(head) - len(structured); n >= 0 && head[n:] == string(structured) {
		head, included = head[:n], true
	}
	if utf8.RuneCountInString(head)+utf8.RuneCount(structured) <= budget {
		if !included {
			tc.Text = head + string(structured)
			res.Content[0] = tc
		}
		return res
	}
	// The members as slices of structured: json.Unmarshal would copy the
	// data, which can be tens of MiB.
	members, ok := topMembers(structured)
	if !ok {
		return res
	}
	kept := k.keep(ctx, call.ToolkitSlug+" "+call.Method+" "+logEndpoint(call.Endpoint), "application/json", structured, true)
	fit := budgetFit{budget: budget, head: head, kept: kept, status: members["status"], headers: members["headers"], binaryData: members["binary_data"]}
	text, small := fit.best(members["data"])
	content := []mcp.Content{mcp.NewTextContent(text)}
	if kept.stored != nil {
		content = append(content, kept.link())
	}
	return &mcp.CallToolResult{
		Content:           append(content, res.Content[1:]...),
		StructuredContent: json.RawMessage(small),
		IsError:           res.IsError,
	}
}

// budgetFit assembles a cut result's text and structuredContent around as
// much of the data as the budget leaves room for.
type budgetFit struct {
	budget                      int
	head                        string
	kept                        keptData
	status, headers, binaryData json.RawMessage
	// compact leaves the readable list of the ways to the rest out of the
	// text, which carries them in structuredContent anyway.
	compact bool
}

// maxFitTries bounds the attempts at filling the budget.
const maxFitTries = 6

// best is the fullest text within the budget, and its structuredContent.
// cutJSON counts bytes and the budget is characters, so the room for data
// starts at what the rest leaves and is corrected by what each try measures.
func (f budgetFit) best(data []byte) (text string, structured []byte) {
	room := f.budget - utf8.RuneCountInString(f.assemble(nil, cutInfo{TotalBytes: len(data)}).text) - 64
	cuts := newJSONCut(data) // parsed once for every try
	for range maxFitTries {
		shown, info := cuts.cut(max(room, 0))
		a := f.assemble(shown, info)
		n := utf8.RuneCountInString(a.text)
		if n > f.budget {
			room -= n - f.budget
			continue
		}
		if len(a.text) >= len(text) {
			text, structured = a.text, a.structured
		}
		// Close enough, or all of it: done.
		if f.budget-n < f.budget/100 || !info.cut() {
			break
		}
		room += f.budget - n
	}
	if text != "" {
		return text, structured
	}
	// A budget too small for the framing (only a tiny --max-result-bytes):
	// the ways to the rest once, in structuredContent, and no data.
	f.compact, f.headers = true, nil
	a := f.assemble(nil, cutInfo{TotalBytes: len(data)})
	return a.text, a.structured
}

type assembled struct {
	text       string
	structured []byte
}

// assemble writes the text and the structuredContent for shown data.
func (f budgetFit) assemble(shown []byte, info cutInfo) assembled {
	trunc := truncatedOutput{TotalBytes: info.TotalBytes, ShownBytes: len(shown), TotalItems: info.TotalItems, ShownItems: info.ShownItems, ItemsPath: info.Path}
	if r := f.kept.stored; r != nil {
		trunc.Result, trunc.Resource, trunc.Pages = r.ID(), r.URI(), r.Pages()
	}
	trunc.GetMore = getMore(trunc)
	out := map[string]json.RawMessage{"status": f.status}
	if shown != nil {
		out["data"] = shown
	}
	for k, v := range map[string]json.RawMessage{"headers": f.headers, "binary_data": f.binaryData} {
		if v != nil {
			out[k] = v
		}
	}
	out["truncated"], _ = json.Marshal(trunc)
	// Spliced by hand, since json.Marshal would escape <, > and & in data
	// and so grow it past what was measured.
	var s strings.Builder
	s.WriteByte('{')
	for i, k := range []string{"status", "data", "headers", "binary_data", "truncated"} {
		if v, ok := out[k]; ok {
			if i > 0 {
				s.WriteByte(',')
			}
			fmt.Fprintf(&s, "%q:", k)
			s.Write(v)
		}
	}
	s.WriteByte('}')
	structured := s.String()

	var b strings.Builder
	b.WriteString(f.head)
	b.WriteString(cutSummary(trunc, f.budget, f.kept))
	if !f.compact {
		b.WriteString("\nTo get the rest:")
		for _, w := range trunc.GetMore {
			b.WriteString("\n- " + w)
		}
	}
	b.WriteString("\nThe result as structuredContent, with data cut as said:\n")
	b.WriteString(structured)
	return assembled{text: b.String(), structured: []byte(structured)}
}

// cutSummary says how much there was and how much is shown.
func cutSummary(t truncatedOutput, budget int, kept keptData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The response is too large for one result (this server's budget is %d characters), so its data is cut: ", budget)
	if t.TotalItems > 0 {
		fmt.Fprintf(&b, "showing %d of %d items of %s, whole; ", t.ShownItems, t.TotalItems, t.ItemsPath)
	}
	fmt.Fprintf(&b, "%s of %s shown, still valid JSON (long strings end in a […] marker saying how long they were).", sizeText(int64(t.ShownBytes)), sizeText(int64(t.TotalBytes)))
	if r := kept.stored; r != nil {
		fmt.Fprintf(&b, " The whole response is kept for %s as the stored result %q (MCP resource %s, %d pages).", kept.store.TTL(), r.ID(), r.URI(), r.Pages())
	} else {
		b.WriteString(notKeptText("response", kept.err))
	}
	return b.String()
}

// getMore lists the ways to the rest of a cut result.
func getMore(t truncatedOutput) []string {
	ex := `{"jq": "keys"} to see the top-level keys, or a projection such as {"jq": "{id, name}"}`
	if t.TotalItems > 0 {
		ex = fmt.Sprintf(`{"jq": "%s[%d:%d]"} for the next items, or a projection such as {"jq": "[%s[] | {id, name}]"}`, t.ItemsPath, t.ShownItems, min(t.TotalItems, 2*t.ShownItems), t.ItemsPath)
	}
	ways := []string{fmt.Sprintf(`narrow it: call %s again with a jq filter in its "jq" argument, applied to data before this budget, e.g. %s`, ProxyExecuteName, ex)}
	if t.Result != "" {
		ways = append(ways, fmt.Sprintf("page through the stored result without calling the API again: %s {\"result\": %q, \"page\": 2} (pages 1 to %d; a \"jq\" filter works there too), or resources/read on %s/2", QueryResultName, t.Result, t.Pages, t.Resource))
	}
	return append(ways, "ask the API for less: its pagination (a page size such as per_page, limit, maxResults or pageSize, then the next-page token or cursor it returns) or its field selection (such as fields)")
}
