package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// errorResult is an isError result with one text block.
func errorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		Content: []mcp.Content{mcp.NewTextContent(text)},
		IsError: true,
	}
}

// responseResult maps Composio's 200 answer. The third-party API's own status
// decides isError: Composio reports an upstream 404 as HTTP 200 with status
// 404. now tells how long a download link stays valid.
//
// A result that limitResult cuts when its structured content is over cutAt
// (0: never) leaves the structured content out of the text, rather than
// copying the whole of it once more only for limitResult to take it away
// again. The error is a fault of this program: a response that cannot be
// encoded again.
func responseResult(call *client.ProxyRequest, resp *client.ProxyResponse, cutAt int, now func() time.Time) (*mcp.CallToolResult, error) {
	out := proxyOutput{Status: resp.Status, Data: resp.Data, Headers: resp.Headers}
	if bd := resp.BinaryData; bd != nil {
		out.BinaryData = &binaryOutput{URL: bd.URL, ContentType: bd.ContentType, Size: bd.Size, ExpiresAt: bd.ExpiresAt}
	}
	structured, err := marshalOutput(out)
	if err == nil && !utf8.Valid(structured) {
		// Data passes through as raw bytes, and encoding/json does not check
		// the UTF-8 of a RawMessage; invalid bytes can only sit inside JSON
		// strings, so replacing them keeps the JSON valid and the output clean.
		structured = bytes.ToValidUTF8(structured, []byte("\uFFFD"))
	}
	if err != nil {
		// Data came from a JSON decoder, so this is a fault of ours.
		return nil, fmt.Errorf("%s answered %s, but its response could not be encoded: %w", apiName(call), statusText(resp.Status), err)
	}

	var text strings.Builder
	fmt.Fprintf(&text, "%s %s %s → HTTP %s", call.ToolkitSlug, call.Method, call.Endpoint, statusText(resp.Status))
	if resp.Attempts > 1 {
		fmt.Fprintf(&text, " (after %d attempts)", resp.Attempts)
	}
	if resp.Status >= 400 {
		fmt.Fprintf(&text, "\nThe %s API answered with an error; nothing in its answer came from Composio.", call.ToolkitSlug)
		if hint := upstreamHint(call, resp); hint != "" {
			text.WriteString("\nHint: " + hint)
		}
	}
	if bd := out.BinaryData; bd != nil {
		fmt.Fprintf(&text, "\nBinary response: %s, %s. Download link: %s", orUnknown(bd.ContentType), sizeText(bd.Size), bd.URL)
		if exp := expiryText(bd.ExpiresAt, now()); exp != "" {
			text.WriteString("\n" + exp)
		}
	}
	text.WriteString("\n")
	if cutAt <= 0 || len(structured) <= cutAt {
		text.Grow(len(structured))
		text.Write(structured)
	}

	res := &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text.String())},
		StructuredContent: json.RawMessage(structured),
		IsError:           resp.Status >= 400,
	}
	if bd := out.BinaryData; bd != nil {
		link := mcp.NewResourceLink(bd.URL, linkName(bd.URL), "Download link for the binary response"+expirySuffix(bd.ExpiresAt), bd.ContentType)
		if bd.Size > 0 {
			size := bd.Size
			link.Size = &size
		}
		res.Content = append(res.Content, link)
	}
	return res, nil
}

// upstreamHint suggests the usual cause of a third-party error status.
func upstreamHint(call *client.ProxyRequest, resp *client.ProxyResponse) string {
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return fmt.Sprintf("the %[1]s API refused the connected account's credential or its permissions. The user may need to reconnect their %[1]s account or grant it the needed scopes. Never set Authorization in parameters: Composio injects the credential, and your own replaces it.", call.ToolkitSlug)
	case s == http.StatusNotFound:
		return fmt.Sprintf("check the endpoint: it is a path relative to the %s account's base URL (for example %q, not a full URL or a path with the API version twice), and check any ids in it.", call.ToolkitSlug, examplePath(call.ToolkitSlug))
	case s == http.StatusTooManyRequests:
		h := "the " + call.ToolkitSlug + " API's own rate limit was hit (not Composio's); wait before calling it again"
		if ra := headerValue(resp.Headers, "retry-after"); ra != "" {
			h += " (it asked for Retry-After: " + ra + ")"
		}
		return h + "."
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		return "the API rejected the request as invalid; its error body says which field or parameter to fix."
	case s == http.StatusMethodNotAllowed:
		return "this endpoint does not accept " + call.Method + "; check the API's documentation for the right method."
	case s >= 500:
		return "the API failed on its side; retrying later may help. A write may or may not have taken effect: check before repeating it."
	}
	return ""
}

// examplePaths are well-known endpoints, to show the form a relative endpoint
// takes for the toolkit at hand.
var examplePaths = map[string]string{
	"gmail":          "/gmail/v1/users/me/messages",
	"github":         "/user/repos",
	"googlecalendar": "/calendars/primary/events",
	"slack":          "/conversations.list",
	"notion":         "/v1/search",
}

func examplePath(toolkit string) string {
	if p, ok := examplePaths[strings.ToLower(toolkit)]; ok {
		return p
	}
	return "/users/me"
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func apiName(call *client.ProxyRequest) string { return "the " + call.ToolkitSlug + " API" }

func headerValue(h client.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown type"
	}
	return s
}

func sizeText(n int64) string {
	switch {
	case n <= 0:
		return "unknown size"
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	default:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	}
}

// expiryText says when a signed link stops working, so a model fetches it in
// time or asks for a fresh one.
func expiryText(expiresAt string, now time.Time) string {
	if expiresAt == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, expiresAt)
	if err != nil {
		return "The link expires at " + expiresAt + "."
	}
	left := t.Sub(now).Round(time.Second)
	if left <= 0 {
		return "The link expired at " + expiresAt + "; call the endpoint again for a fresh one."
	}
	return fmt.Sprintf("The link expires at %s (in %s); call the endpoint again for a fresh one after that.", expiresAt, left)
}

func expirySuffix(expiresAt string) string {
	if expiresAt == "" {
		return ""
	}
	return "; expires at " + expiresAt
}

// linkName is the file name a signed URL points at, for the resource link.
func linkName(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if base := path.Base(u.Path); base != "" && base != "/" && base != "." {
			return base
		}
	}
	return "download"
}
