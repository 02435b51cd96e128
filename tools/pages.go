package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// maxPagesLimit is the most pages max_pages follows in one call: ten pages
// of a hundred items is more than a result can show anyway.
const maxPagesLimit = 10

// pagingOutput is structuredContent's "paging" member after max_pages.
type pagingOutput struct {
	Fetched     int    `json:"fetched" jsonschema:"required" jsonschema_description:"How many pages were fetched and joined."`
	MaxPages    int    `json:"max_pages" jsonschema:"required" jsonschema_description:"The max_pages asked for."`
	Items       int    `json:"items" jsonschema:"required" jsonschema_description:"How many items the joined list holds."`
	Stopped     string `json:"stopped" jsonschema:"required" jsonschema_description:"Why no more pages were fetched."`
	RateLimited bool   `json:"rate_limited,omitempty" jsonschema_description:"True when it stopped on a rate limit: wait before asking for the next page."`
}

// pages finishes a call that the API answered: it follows next pages when
// max_pages asks for them, shapes the answer, and says how to get the page
// after it.
func (t *proxyTool) pages(ctx context.Context, req mcp.CallToolRequest, call proxyCall, ex executor, sessions Sessions, resp *client.ProxyResponse) (*mcp.CallToolResult, error) {
	t.masker.maskResponse(req.Header, resp)
	last := call.req
	var paging *pagingOutput
	if call.maxPages > 1 && resp.Status < 300 {
		paging = &pagingOutput{MaxPages: call.maxPages}
		last, resp = t.follow(ctx, req, call.req, ex, sessions, resp, paging)
	}
	// The hint reads the answer as the API gave it, before jq narrows it.
	hint := nextPage(last, resp)
	if hint != nil && t.refused(call.req, hintCall(last, hint)) != nil {
		// The hint is only text, but a model would send it as given, and the
		// policy would then refuse it: one it cannot use is not shown.
		hint = nil
	}
	note := pagesNote(hint, paging)
	// The note follows the shaped text, so the shaping leaves room for it:
	// the whole text stays within the budget.
	shape := t.shape
	if n := utf8.RuneCountInString(note); n > 0 && shape.keep.limit > 0 {
		shape.keep.limit = max(shape.keep.limit-n-1, minPagedBudget)
	}
	var res *mcp.CallToolResult
	var err error
	if call.jq != nil {
		res, err = shape.filtered(ctx, call.req, call.jq, resp)
	} else {
		res, err = shape.result(ctx, call.req, resp)
	}
	if err != nil {
		return nil, err
	}
	return withPages(res, note, hint, paging), nil
}

// follow fetches up to paging.MaxPages pages from first, the answer to call,
// and returns the last call sent with an answer whose items are those of
// every page, and whose other members and headers are the last page's, so
// that its next page is the one after all of them.
func (t *proxyTool) follow(ctx context.Context, req mcp.CallToolRequest, call *client.ProxyRequest, ex executor, sessions Sessions, first *client.ProxyResponse, paging *pagingOutput) (*client.ProxyRequest, *client.ProxyResponse) {
	last, lastResp := call, first
	hint := nextPage(call, first)
	at := itemsOf(first.Data) // where the items are, on every page
	if hint != nil {
		at = hint.items
	}
	items, ok := pageItems(first.Data, at)
	paging.Fetched = 1
	for ok && paging.Fetched < paging.MaxPages {
		if hint == nil {
			paging.Stopped = "no next page"
			break
		}
		next := hintCall(call, hint)
		// The next call comes from the API's answer, not from the model, so
		// it gets the same policy check as the first: a Link header could
		// otherwise aim the user's credential at another host.
		if err := t.refused(call, next); err != nil {
			paging.Stopped = fmt.Sprintf("page %d refused: %s", paging.Fetched+1, refusalText(err))
			break
		}
		resp, err := t.send.run(ctx, req, ex, sessions, next)
		var apiErr *client.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusTooManyRequests:
			paging.Stopped, paging.RateLimited = fmt.Sprintf("Composio's rate limit answered page %d", paging.Fetched+1), true
		case err != nil:
			paging.Stopped = fmt.Sprintf("page %d failed: %s", paging.Fetched+1, firstLine(failureText(failedOp{call: next}, err)))
		case resp.Status == http.StatusTooManyRequests:
			paging.Stopped, paging.RateLimited = fmt.Sprintf("the %s API's rate limit (HTTP 429) answered page %d", call.ToolkitSlug, paging.Fetched+1), true
		case resp.Status >= 300:
			paging.Stopped = fmt.Sprintf("page %d answered HTTP %s", paging.Fetched+1, statusText(resp.Status))
		}
		if paging.Stopped != "" {
			break
		}
		t.masker.maskResponse(req.Header, resp)
		more, ok2 := pageItems(resp.Data, at)
		if !ok2 {
			paging.Stopped = fmt.Sprintf("page %d has no list of items where page 1 had one", paging.Fetched+1)
			break
		}
		items = append(items, more...)
		paging.Fetched++
		last, lastResp = next, resp
		hint = nextPage(next, resp)
	}
	switch {
	case !ok && hint == nil:
		paging.Stopped = "no next page"
	case !ok:
		paging.Stopped = "the answer has no one list of items to join pages of"
	case paging.Stopped == "" && hint == nil:
		paging.Stopped = "no next page"
	case paging.Stopped == "":
		paging.Stopped = "max_pages reached"
	}
	paging.Items = len(items)
	if last == call {
		return call, first
	}
	joined := *lastResp
	joined.Data = withItems(lastResp.Data, at, items)
	return last, &joined
}

// hintCall is the call hint describes, after call.
func hintCall(call *client.ProxyRequest, hint *pageHint) *client.ProxyRequest {
	return &client.ProxyRequest{ToolkitSlug: call.ToolkitSlug, Endpoint: hint.Endpoint, Method: call.Method, Parameters: hint.Parameters, Body: hint.Body}
}

// refused says why next, a call built from an answer to first, may not be
// sent, or is nil. It is the policy's check, and then that next stays where
// first went: a path when first was a path, even when AllowAbsoluteURLs
// would allow a host, and the same scheme and host when first named one.
// The policy allowed the host the model chose, not any host the API's
// answer names.
func (t *proxyTool) refused(first, next *client.ProxyRequest) error {
	if err := t.policy.check(next); err != nil {
		return err
	}
	if !isAbsolute(first.Endpoint) {
		if isAbsolute(next.Endpoint) {
			return fmt.Errorf("the next page's endpoint %q names a host, and the first call was a path on the %s API", next.Endpoint, first.ToolkitSlug)
		}
		return nil
	}
	fu, ferr := url.Parse(first.Endpoint)
	nu, nerr := url.Parse(next.Endpoint)
	if ferr != nil || nerr != nil || !strings.EqualFold(fu.Scheme, nu.Scheme) || !strings.EqualFold(fu.Host, nu.Host) {
		return fmt.Errorf("the next page's URL %q is not on %s://%s, the host of the first call", next.Endpoint, fu.Scheme, fu.Host)
	}
	return nil
}

// refusalText is a refusal on one line: the policy's problems themselves,
// not its heading, which speaks of a call the model sent.
func refusalText(err error) string {
	var ae *argError
	if errors.As(err, &ae) && len(ae.problems) > 0 {
		return strings.Join(ae.problems, "; ")
	}
	return firstLine(err.Error())
}

// pageItems are the items of a page at member ("" for data itself).
func pageItems(data json.RawMessage, member string) ([]json.RawMessage, bool) {
	var items []json.RawMessage
	switch member {
	case itemsUnknown:
		return nil, false
	case "":
		return items, json.Unmarshal(data, &items) == nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || json.Unmarshal(top[member], &items) != nil {
		return nil, false
	}
	return items, true
}

// withItems is data with its items (at member, "" for data itself) replaced.
func withItems(data json.RawMessage, member string, items []json.RawMessage) json.RawMessage {
	if items == nil {
		items = []json.RawMessage{}
	}
	list, _ := json.Marshal(items)
	if member == "" || member == itemsUnknown {
		return list
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return list
	}
	top[member] = list
	out, _ := json.Marshal(top)
	return out
}

// withPages adds the next-page hint and the paging summary to a result: to
// its text, and as next_page and paging to its structured content.
// minPagedBudget keeps a result with a long page note showing some data.
const minPagedBudget = 1024

// pagesNote is what the text says of max_pages and of the next page; "" for
// neither.
func pagesNote(hint *pageHint, paging *pagingOutput) string {
	var note strings.Builder
	if paging != nil {
		fmt.Fprintf(&note, "Fetched %d of max_pages %d pages, %d items joined; stopped: %s.", paging.Fetched, paging.MaxPages, paging.Items, paging.Stopped)
		if paging.RateLimited {
			note.WriteString(" That is a rate limit: wait before asking for the next page.")
		}
	}
	if hint != nil {
		next, _ := json.Marshal(nextCall{Endpoint: hint.Endpoint, Parameters: hint.Parameters, Body: hint.Body})
		if note.Len() > 0 {
			note.WriteString("\n")
		}
		fmt.Fprintf(&note, "Next page (%s): call proxy_execute again with the same toolkit_slug and method, and %s", hint.Style, next)
	}
	return note.String()
}

// withPages adds the page note (pagesNote) to the text and its members to
// structuredContent.
func withPages(res *mcp.CallToolResult, note string, hint *pageHint, paging *pagingOutput) *mcp.CallToolResult {
	if hint == nil && paging == nil {
		return res
	}
	res = withNote(res, note)
	if hint != nil {
		res = withMember(res, "next_page", hint)
	}
	if paging != nil {
		res = withMember(res, "paging", paging)
	}
	return res
}

// withMember adds a member to a result's structured content, an object
// that already has members (status at least), without decoding it.
func withMember(res *mcp.CallToolResult, name string, v any) *mcp.CallToolResult {
	structured, ok := res.StructuredContent.(json.RawMessage)
	end := len(structured) - 1
	for end > 0 && structured[end] != '}' {
		end--
	}
	val, err := json.Marshal(v)
	if !ok || end <= 1 || err != nil {
		return res
	}
	out := make(json.RawMessage, 0, len(structured)+len(name)+len(val)+5)
	out = append(out, structured[:end]...)
	out = append(append(append(out, `,"`...), name...), `":`...)
	out = append(append(out, val...), '}')
	res.StructuredContent = out
	return res
}

// nextCall is the part of the next call that changes, as the text shows it.
type nextCall struct {
	Endpoint   string             `json:"endpoint"`
	Parameters []client.Parameter `json:"parameters,omitempty"`
	Body       json.RawMessage    `json:"body,omitempty"`
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
