package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// DefaultMaxResultBytes is the size above which a result is cut: about 25,000
// tokens of JSON, the most that some clients accept in one tool result.
const DefaultMaxResultBytes = 100 << 10

// truncatedOutput is structuredContent's "truncated" member, present when the
// response was too large to return whole.
type truncatedOutput struct {
	TotalBytes int    `json:"total_bytes" jsonschema:"required" jsonschema_description:"The size of the full result (this object with data), in bytes."`
	ShownBytes int    `json:"shown_bytes" jsonschema:"required" jsonschema_description:"How many of its first bytes the text content shows."`
	Resource   string `json:"resource,omitempty" jsonschema_description:"The MCP resource that holds the full result, for resources/read; absent when it could not be kept."`
	Pages      int    `json:"pages,omitempty" jsonschema_description:"The number of pages of the resource, read at <resource>/1 to <resource>/<pages>; page 1 is what the text shows."`
}

const truncatedDescription = "Present when the response was larger than this server returns in one result. data is then left out here; the text content carries its first part, and the full result is kept as the MCP resource named."

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
	// limit is the size above which content is cut; 0 never cuts.
	limit int
	// store keeps the whole; nil keeps nothing.
	store *results.Store
}

// limitResult cuts a result whose structured content is larger than
// the limit. The text keeps the first part of the content, cut on a clean
// boundary (see cutPoints), with a note of the full size, of where the rest
// is, and of how to ask for less; the full content goes to the results.Store and
// is linked with a resource_link.
//
// structuredContent: the spec says it must conform to the outputSchema, and
// the text should carry the same information. Returning it whole would put
// the whole response back into clients that read structuredContent rather
// than text, which is what the cut is there to prevent; leaving it out breaks
// clients that enforce the outputSchema (the official TypeScript SDK rejects
// a successful result without structuredContent when the tool declares one).
// So a cut result keeps status, headers and binary_data, leaves out data, and
// says so in "truncated", which the outputSchema declares whenever this
// server cuts results: honest, valid, and small.
func (k keeper) limitResult(ctx context.Context, call *client.ProxyRequest, res *mcp.CallToolResult) *mcp.CallToolResult {
	structured, ok := res.StructuredContent.(json.RawMessage)
	if k.limit <= 0 || !ok || len(structured) <= k.limit || len(res.Content) == 0 {
		return res
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		return res
	}
	// The text is a summary, followed by the structured content unless
	// responseResultCut left it out; keep the summary. (The comparison
	// converts without copying.)
	head := tc.Text
	if n := len(head) - len(structured); n >= 0 && head[n:] == string(structured) {
		head = head[:n]
	}
	kept := k.keep(ctx, call.ToolkitSlug+" "+call.Method+" "+logEndpoint(call.Endpoint), "application/json", structured, true)

	// Every member but data, which is decoded only to be skipped: a map of
	// all members would copy the whole of the data once more.
	var members struct {
		Status     json.RawMessage `json:"status"`
		Headers    json.RawMessage `json:"headers"`
		BinaryData json.RawMessage `json:"binary_data"`
	}
	if err := json.Unmarshal(structured, &members); err != nil {
		return res
	}
	cutStruct := map[string]json.RawMessage{}
	for k, v := range map[string]json.RawMessage{"status": members.Status, "headers": members.Headers, "binary_data": members.BinaryData} {
		if v != nil {
			cutStruct[k] = v
		}
	}
	trunc := truncatedOutput{TotalBytes: len(structured), ShownBytes: len(kept.shown)}
	if kept.stored != nil {
		trunc.Resource, trunc.Pages = kept.stored.URI(), kept.stored.Pages()
	}
	cutStruct["truncated"], _ = json.Marshal(trunc)
	small, err := json.Marshal(cutStruct)
	if err != nil {
		return res
	}

	var text strings.Builder
	text.WriteString(head)
	text.WriteString(kept.note("response"))
	text.WriteString("\nWhat else the answer said: ")
	text.Write(small)
	text.WriteString("\nThe start of the response:\n")
	text.WriteString(kept.shownText())
	text.WriteString(kept.trailer())

	content := []mcp.Content{mcp.NewTextContent(text.String())}
	if kept.stored != nil {
		content = append(content, kept.link())
	}
	return &mcp.CallToolResult{
		Content:           append(content, res.Content[1:]...),
		StructuredContent: json.RawMessage(small),
		IsError:           res.IsError,
	}
}

// keptData is content that was too large to return whole: the part shown,
// and where the whole is kept (stored is nil when it could not be).
type keptData struct {
	limit  int
	store  *results.Store
	total  int
	shown  []byte
	stored *results.Result
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
	kd.stored = k.store.Keep(ctx, name, mime, data, starts)
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
		fmt.Fprintf(&b, " The whole %s could not be kept for reading later (it is larger than this server's store).", what)
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
}

// result is the tool result of resp; its error is a fault of this program.
func (s shaper) result(ctx context.Context, call *client.ProxyRequest, resp *client.ProxyResponse) (*mcp.CallToolResult, error) {
	res, err := responseResult(call, resp, s.keep.limit, s.now)
	if err != nil {
		return nil, err
	}
	return s.inline.inlineBinary(ctx, s.keep.limitResult(ctx, call, res), resp.BinaryData), nil
}
