package tools

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// pageHint says how to get the next page of a response: the exact endpoint,
// parameters and body of the next proxy_execute call. It is the result's
// next_page member.
type pageHint struct {
	Style      string             `json:"style" jsonschema:"required" jsonschema_description:"Where the next page was found: link_header, next_cursor, nextPageToken, next_page_token, cursor, paging.next, slack, notion or stripe."`
	Endpoint   string             `json:"endpoint" jsonschema:"required" jsonschema_description:"The endpoint of the next call."`
	Parameters []client.Parameter `json:"parameters,omitempty" jsonschema_description:"The parameters of the next call, all of them."`
	Body       json.RawMessage    `json:"body,omitempty" jsonschema_description:"The body of the next call, when the cursor goes in the body."`
	// items is where the page's items are in data: "" for data itself, else
	// the name of its array member; absent is itemsUnknown.
	items string
}

// itemsUnknown marks a hint whose page has no one array of items.
const itemsUnknown = "\x00"

// linkNext finds the rel="next" target of a Link header.
var linkNext = regexp.MustCompile(`<([^>]*)>\s*;[^,]*\brel="?([^",]*\s)?next(\s[^",]*)?"?`)

// nextPage says how to get the page after resp, the answer to call, or is
// nil when there is none, or none that it recognises.
func nextPage(call *client.ProxyRequest, resp *client.ProxyResponse) *pageHint {
	if resp == nil || resp.Status >= 300 || resp.BinaryData != nil {
		return nil
	}
	if m := linkNext.FindStringSubmatch(headerValue(resp.Headers, "link")); m != nil {
		if h := urlHint(call, "link_header", m[1]); h != nil {
			h.items = itemsOf(resp.Data)
			return h
		}
	}
	top, ok := topMembers(resp.Data)
	if !ok {
		return nil
	}
	h := bodyCursor(call, top)
	if h != nil && h.items == itemsUnknown {
		h.items = itemsOf(resp.Data)
	}
	return h
}

// bodyCursor reads the common body cursors, the most specific first.
func bodyCursor(call *client.ProxyRequest, top map[string]json.RawMessage) *pageHint {
	str := func(m map[string]json.RawMessage, name string) string {
		var s string
		if v, ok := m[name]; ok && json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	hasMore := func() bool { return string(bytes.TrimSpace(top["has_more"])) == "true" }
	var meta map[string]json.RawMessage
	if json.Unmarshal(top["response_metadata"], &meta) == nil {
		if c := str(meta, "next_cursor"); c != "" {
			return paramHint(call, "slack", "cursor", c)
		}
	}
	if c := str(top, "next_cursor"); c != "" {
		if str(top, "object") == "list" { // Notion: a start_cursor, in the body of a POST
			if !hasMore() {
				return nil
			}
			return paramHint(call, "notion", "start_cursor", c)
		}
		return paramHint(call, "next_cursor", "cursor", c)
	}
	if c := str(top, "nextPageToken"); c != "" {
		return paramHint(call, "nextPageToken", "pageToken", c)
	}
	if c := str(top, "next_page_token"); c != "" {
		return paramHint(call, "next_page_token", "page_token", c)
	}
	if c := str(top, "cursor"); c != "" && hasMore() {
		return paramHint(call, "cursor", "cursor", c)
	}
	var paging map[string]json.RawMessage
	if json.Unmarshal(top["paging"], &paging) == nil {
		if next := str(paging, "next"); next != "" {
			if u, err := url.Parse(next); err == nil && u.IsAbs() {
				return urlHint(call, "paging.next", next)
			}
			return paramHint(call, "paging.next", "after", next)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(paging["next"], &obj) == nil {
			if after := str(obj, "after"); after != "" { // HubSpot
				return paramHint(call, "paging.next", "after", after)
			}
		}
	}
	var data []map[string]json.RawMessage
	if hasMore() && json.Unmarshal(top["data"], &data) == nil && len(data) > 0 {
		if id := str(data[len(data)-1], "id"); id != "" {
			h := paramHint(call, "stripe", "starting_after", id)
			h.items = "data"
			return h
		}
	}
	return nil
}

// paramHint is the call again with query parameter (or, in a POST's JSON
// body, member) name set to value.
func paramHint(call *client.ProxyRequest, style, name, value string) *pageHint {
	h := &pageHint{Style: style, Endpoint: call.Endpoint, Parameters: slices.Clone(call.Parameters), items: itemsUnknown}
	if call.Method == "POST" && (len(call.Body) > 0 && firstByte(call.Body) == '{' || style == "notion") {
		body := map[string]json.RawMessage{}
		_ = json.Unmarshal(call.Body, &body)
		body[name], _ = json.Marshal(value)
		h.Body, _ = json.Marshal(body)
		return h
	}
	// A parameter in the endpoint's own query would be sent beside ours.
	if u, err := url.Parse(call.Endpoint); err == nil && u.Query().Has(name) {
		q := u.Query()
		q.Del(name)
		u.RawQuery = q.Encode()
		h.Endpoint = u.String()
	}
	h.Parameters = slices.DeleteFunc(h.Parameters, func(p client.Parameter) bool { return p.Type == "query" && p.Name == name })
	h.Parameters = append(h.Parameters, client.Parameter{Name: name, Value: value, Type: "query"})
	return h
}

// urlHint is the call again at next, a URL that holds the whole query: the
// endpoint its path relative to the account's base URL when the call's
// path ends the same way, else the URL itself.
func urlHint(call *client.ProxyRequest, style, next string) *pageHint {
	u, err := url.Parse(next)
	if err != nil {
		return nil
	}
	h := &pageHint{Style: style, items: itemsUnknown}
	for _, p := range call.Parameters {
		if p.Type != "query" {
			h.Parameters = append(h.Parameters, p)
		}
	}
	for _, name := range sortedKeys(u.Query()) {
		for _, v := range u.Query()[name] {
			h.Parameters = append(h.Parameters, client.Parameter{Name: name, Value: v, Type: "query"})
		}
	}
	h.Endpoint = next
	if cu, err := url.Parse(call.Endpoint); err == nil && !cu.IsAbs() {
		// The base URL may have a path of its own (…/calendar/v3): what is
		// left of the link's path once that is taken off is the endpoint.
		// The escaped path, not the decoded one: decoding turns the link's
		// %5C or %09 into a backslash or a tab, which parsers downstream
		// read as a slash or drop, and /\evil.example then names a host.
		cp, up := cu.EscapedPath(), u.EscapedPath()
		if i := strings.LastIndex(up, cp); cp != "" && i >= 0 && i+len(cp) == len(up) {
			h.Endpoint = cp
		} else {
			h.Endpoint = up
		}
	} else {
		u.RawQuery = ""
		h.Endpoint = u.String()
	}
	return h
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// itemsOf finds a page's items: data itself when it is an array, else its
// one array member, or the first of the usual names when it has several.
func itemsOf(data json.RawMessage) string {
	switch firstByte(data) {
	case '[':
		return ""
	case '{':
	default:
		return itemsUnknown
	}
	top, ok := topMembers(data)
	if !ok {
		return itemsUnknown
	}
	var arrays []string
	for k, v := range top {
		if firstByte(v) == '[' {
			arrays = append(arrays, k)
		}
	}
	if len(arrays) == 1 {
		return arrays[0]
	}
	for _, name := range []string{"items", "data", "results", "messages", "members", "channels", "events", "records", "values", "entries"} {
		if slices.Contains(arrays, name) {
			return name
		}
	}
	return itemsUnknown
}
