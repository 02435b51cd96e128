package tools

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// DefaultMaxResultBytes is the default budget of a result, counted in
// characters of its text block (framing included): well under the 50,000
// characters above which Claude Code writes a result to a file and shows the
// model only a reference, and under its 25,000-token cap even for JSON
// dense in tokens. The name keeps the flag's: pages of a stored result are
// this many bytes.
const DefaultMaxResultBytes = 40000

// maxErrorChars is the budget of an isError text, under the 11,000 or so
// characters at which Claude Code cuts one.
const maxErrorChars = 10000

// truncatedOutput is structuredContent's "truncated" member, present when the
// response was too large to return whole.
type truncatedOutput struct {
	TotalBytes int      `json:"total_bytes" jsonschema:"required" jsonschema_description:"The size of the full data, in bytes."`
	ShownBytes int      `json:"shown_bytes" jsonschema:"required" jsonschema_description:"The size of the data shown here (and in the text), in bytes."`
	TotalItems int      `json:"total_items,omitempty" jsonschema_description:"When an array was cut at whole items: how many items it has."`
	ShownItems int      `json:"shown_items,omitempty" jsonschema_description:"When an array was cut at whole items: how many of its first items are shown."`
	ItemsPath  string   `json:"items_path,omitempty" jsonschema_description:"When an array was cut at whole items: its jq path in data, such as .items or . for data itself."`
	Result     string   `json:"result,omitempty" jsonschema_description:"The id of the stored full result, for query_result {\"result\": id, \"page\": N}; absent when it could not be kept."`
	Resource   string   `json:"resource,omitempty" jsonschema_description:"The MCP resource that holds the full result, for resources/read; absent when it could not be kept."`
	Pages      int      `json:"pages,omitempty" jsonschema_description:"The number of pages of the stored result, read at <resource>/1 to <resource>/<pages> or with query_result."`
	GetMore    []string `json:"get_more" jsonschema:"required" jsonschema_description:"The ways to get the rest: narrow with jq, page through the stored result, ask the API for less."`
}

const truncatedDescription = "Present when the response was larger than this server returns in one result. data then holds the part that fits, still valid JSON: arrays cut at whole items, long strings shortened with a marker saying how long they were; the text content carries the same, and the full result is kept as the stored result named."

// cutOutput is the output schema of a server that cuts results: with the
// "truncated" member, since the schema must describe every structuredContent
// the tool returns, cut ones too. The generator calls it; the server reads
// its result from schemas_gen.go.
func cutOutput(of schemaOf) map[string]any {
	out := of(proxyOutput{})
	t := of(truncatedOutput{})
	t["description"] = truncatedDescription
	addProperty(out, "truncated", t)
	return out
}

// keeper cuts what is too large to return whole: what shows the part that
// fits, and keeps the whole in the result store. Large responses, dry-run
// bodies and inline downloads all go through it.
type keeper struct {
	// limit is the budget of a result's text in characters, and the size of
	// a stored page in bytes; 0 never cuts.
	limit int
	// store keeps the whole; nil keeps nothing.
	store *results.Store
}

// budget is the most characters a result's text may have; 0: no limit.
func (k keeper) budget(isError bool) int {
	if k.limit > 0 && isError {
		return min(k.limit, maxErrorChars)
	}
	return k.limit
}

// keptData is content that was too large to return whole: the part shown,
// and where the whole is kept (stored is nil when it could not be).
type keptData struct {
	limit  int
	store  *results.Store
	total  int
	shown  []byte
	stored *results.Result
	// err is why it could not be kept when the store did not answer.
	err error
}

// over reports whether n bytes are too many to return whole.
func (k keeper) over(n int) bool { return k.limit > 0 && n > k.limit }

// keep splits data into pages of the limit and stores it; its first page is
// what the caller shows.
func (k keeper) keep(ctx context.Context, name, mime string, data []byte, isJSON bool) keptData {
	starts := cutPoints(data, k.limit, isJSON)
	end := len(data)
	if len(starts) > 1 {
		end = starts[1]
	}
	kd := keptData{limit: k.limit, store: k.store, total: len(data), shown: data[:end]}
	kd.stored, kd.err = k.store.Keep(ctx, name, mime, data, starts)
	return kd
}

// shownText is the shown part as text; it is valid UTF-8 whenever the data is.
func (k keptData) shownText() string {
	if utf8.Valid(k.shown) {
		return string(k.shown)
	}
	return strings.ToValidUTF8(string(k.shown), "\uFFFD")
}

// note explains the cut: what is shown, where the rest is, how to ask for less.
func (k keptData) note(what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe %s is %s, more than the %s that this server returns in one result, so only its first %d bytes are shown.", what, sizeText(int64(k.total)), sizeText(int64(k.limit)), len(k.shown))
	if r := k.stored; r != nil {
		fmt.Fprintf(&b, " The whole %s is kept for %s as the MCP resource %s (%s): the text below is page 1 of %d; read the rest with resources/read on %s to %s (the pages join into the exact bytes), or all at once from %s.",
			what, k.store.TTL(), r.URI(), r.MIME(), r.Pages(), r.PageURI(2), r.PageURI(r.Pages()), r.URI())
	} else {
		b.WriteString(notKeptText(what, k.err))
	}
	b.WriteString("\nTo get what you need in one result, ask for less: use the API's pagination (a page size such as maxResults, per_page, limit or pageSize, then the next-page token or cursor it returns) or its field selection (such as fields), then call again.")
	return b.String()
}

// trailer marks the end of the shown part.
func (k keptData) trailer() string {
	rest := k.total - len(k.shown)
	if r := k.stored; r != nil {
		return fmt.Sprintf("\n[cut here: %d more bytes in %s to %s]", rest, r.PageURI(2), r.PageURI(r.Pages()))
	}
	return fmt.Sprintf("\n[cut here: %d more bytes not shown]", rest)
}

// link points at the stored whole.
func (k keptData) link() mcp.ResourceLink {
	r := k.stored
	l := mcp.NewResourceLink(r.URI(), "result-"+r.ID()[:8], fmt.Sprintf("The full %s (%s, %d pages at %s/1 to /%d); readable until %s", r.Name(), sizeText(int64(r.Size())), r.Pages(), r.URI(), r.Pages(), r.Expires().UTC().Format("2006-01-02T15:04:05Z")), r.MIME())
	size := int64(r.Size())
	l.Size = &size
	return l
}

// shaper turns Composio's answer into the tool result, then applies the
// opt-in shaping: a response too large is cut, and a small binary one shown
// inline.
type shaper struct {
	keep   keeper
	inline inliner
	now    func() time.Time
	// jq are the places for jq runs, shared with query_result.
	jq jqSlots
}

// result is the tool result of resp; its error is a fault of this program.
func (s shaper) result(ctx context.Context, call *client.ProxyRequest, resp *client.ProxyResponse) (*mcp.CallToolResult, error) {
	res, err := responseResult(call, resp, s.keep.budget(resp.Status >= 400), s.now)
	if err != nil {
		return nil, err
	}
	return s.inline.inlineBinary(ctx, s.keep.limitResult(ctx, call, res), resp.BinaryData), nil
}
