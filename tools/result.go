package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// now is the clock used to say how long a download link stays valid.
var now = time.Now

// errorResult is an isError result with one text block.
func errorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		Content: []mcp.Content{mcp.NewTextContent(text)},
		IsError: true,
	}
}

// responseResult maps Composio's 200 answer. The third-party API's own status
// decides isError: Composio reports an upstream 404 as HTTP 200 with status 404.
func responseResult(call *client.ProxyRequest, resp *client.ProxyResponse) *mcp.CallToolResult {
	return responseResultCut(call, resp, 0)
}

// responseResultCut is responseResult for a result that limitResult cuts
// when its structured content is over cutAt (0: never): the text then leaves
// the structured content out rather than copying the whole of it once more
// only for limitResult to take it away again.
func responseResultCut(call *client.ProxyRequest, resp *client.ProxyResponse, cutAt int) *mcp.CallToolResult {
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
		// Data came from a JSON decoder, so this is a fault of ours; still, the
		// model gets the status rather than nothing.
		return errorResult(fmt.Sprintf("%s answered %s, but its response could not be encoded: %v", apiName(call), statusText(resp.Status), err))
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
		if exp := expiryText(bd.ExpiresAt); exp != "" {
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
	return res
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

// clientErrorResult maps a failed call: an error from Composio itself, a
// network failure, a timeout, or a cancellation.
func clientErrorResult(call *client.ProxyRequest, err error) *mcp.CallToolResult {
	res := clientErrorResultOnce(call, err)
	if n := client.Attempts(err); n > 1 {
		tc := res.Content[0].(mcp.TextContent)
		tc.Text += fmt.Sprintf("\n(%d attempts were made.)", n)
		res.Content[0] = tc
	}
	return res
}

func clientErrorResultOnce(call *client.ProxyRequest, err error) *mcp.CallToolResult {
	var apiErr *client.APIError
	var timeout *client.TimeoutError
	var tooLarge *client.ResponseTooLargeError
	var redirect *client.RedirectError
	var busy *client.BusyError
	switch {
	case errors.As(err, &apiErr):
		return errorResult(apiErrorText(call, apiErr, connectToolOf(err)))
	case errors.As(err, &redirect):
		return errorResult(redirectText(redirect) + " The call was not made. The server's COMPOSIO_BASE_URL may point at the wrong host, or something between this server and Composio is answering in its place; retrying will not help.")
	case errors.As(err, &busy):
		return errorResult(busyText(busy) + " Retry in a few seconds.")
	case errors.As(err, &tooLarge):
		return errorResult(fmt.Sprintf("The %s API's response to %s %s was larger than %s, so it was not read. Ask for less: use the API's pagination (a page size such as maxResults, per_page or limit) or its field selection (such as fields), then call again.",
			call.ToolkitSlug, call.Method, call.Endpoint, sizeText(tooLarge.Limit)))
	case errors.As(err, &timeout):
		return errorResult(fmt.Sprintf("No answer from Composio within %s for %s %s on %s. The call may or may not have reached the %s API. %s",
			timeout.After, call.Method, call.Endpoint, call.ToolkitSlug, call.ToolkitSlug, retryAdvice(call.Method)))
	case errors.Is(err, context.Canceled):
		return errorResult("The call was cancelled before Composio answered.")
	case errors.Is(err, context.DeadlineExceeded):
		return errorResult(fmt.Sprintf("The call timed out before Composio answered. %s", retryAdvice(call.Method)))
	case errors.Is(err, syscall.ECONNREFUSED):
		return errorResult(fmt.Sprintf("Could not connect to Composio: connection refused (%v). Nothing was sent; the server's COMPOSIO_BASE_URL or the network may be wrong.", err))
	case errors.Is(err, syscall.ECONNRESET):
		return errorResult(fmt.Sprintf("The connection to Composio was reset (%v). %s", err, retryAdvice(call.Method)))
	}
	return errorResult(fmt.Sprintf("Calling Composio failed: %v. %s", err, retryAdvice(call.Method)))
}

func retryAdvice(method string) string {
	if method == http.MethodGet || method == http.MethodHead {
		return "Retrying this read is safe."
	}
	return "Before repeating this " + method + ", check whether it took effect, so as not to do it twice."
}

// apiErrorText renders Composio's error envelope in full, then says what to do;
// connectTool names the tool that connects an account, "" when none is served.
func apiErrorText(call *client.ProxyRequest, e *client.APIError, connectTool string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Composio refused the call (HTTP %d", e.HTTPStatus)
	if e.Slug != "" {
		b.WriteString(" " + e.Slug)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ", code %s", e.Code)
	}
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Body != "" {
		b.WriteString("\nBody: " + e.Body)
	}
	if e.SuggestedFix != "" {
		b.WriteString("\nSuggested fix: " + e.SuggestedFix)
	}
	if len(e.Errors) > 0 {
		b.WriteString("\nErrors:")
		for _, item := range e.Errors {
			b.WriteString("\n- " + item)
		}
	}
	if e.RequestID != "" {
		b.WriteString("\nRequest ID: " + e.RequestID)
	}
	if next := nextStep(call, e, connectTool); next != "" {
		b.WriteString("\nWhat to do: " + next)
	}
	return b.String()
}

// nextStep tells the model what to do about a Composio error.
func nextStep(call *client.ProxyRequest, e *client.APIError, connectTool string) string {
	switch {
	case e.Slug == client.SlugNoActiveConnection && connectTool != "":
		return fmt.Sprintf("the user has no connected %[1]s account in this session. Call %[2]s with {\"toolkit\": %[3]q}: it gives a link the user opens to connect their %[1]s account. Call again once they have.", call.ToolkitSlug, connectTool, call.ToolkitSlug)
	case e.Slug == client.SlugNoActiveConnection:
		return fmt.Sprintf("the user has no connected %[1]s account in this session. Ask them to connect their %[1]s account in Composio, then call again.", call.ToolkitSlug)
	case e.Slug == client.SlugSessionNotFound:
		return sessionNotFoundStep
	case e.Slug == client.SlugOriginMismatch:
		return fmt.Sprintf("the endpoint is an absolute URL on a domain other than the %s account's API. Use a path relative to the API's base URL instead.", call.ToolkitSlug)
	case e.Slug == client.SlugSSRFBlocked:
		return "Composio blocks that destination; call the toolkit's own API with a relative path."
	case e.HTTPStatus == http.StatusUnauthorized:
		return "the server's Composio credentials were rejected. The operator must set a valid COMPOSIO_API_KEY (or COMPOSIO_USER_API_KEY); retrying will not help."
	case e.HTTPStatus == http.StatusForbidden:
		return "the server's Composio API key lacks a permission this call needs (proxy execute / session tool execution). The operator must grant it."
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "Composio's rate limit for this organisation was hit; the call was not executed. Wait " + retryAfterText(e.RetryAfter) + ", then call again."
	case e.HTTPStatus == http.StatusRequestEntityTooLarge:
		return "the request is too large for Composio. Send a smaller body; a binary upload as base64 is limited to 4 MB decoded, and binary_body.url lets Composio fetch a larger file itself."
	case e.HTTPStatus == http.StatusBadRequest:
		return "fix the arguments named above and call again."
	case e.HTTPStatus == http.StatusBadGateway || e.HTTPStatus == http.StatusGatewayTimeout:
		return "Composio could not complete the call to the " + call.ToolkitSlug + " API. " + retryAdvice(call.Method)
	case e.HTTPStatus >= 500:
		return "Composio failed on its side. " + retryAdvice(call.Method)
	}
	return ""
}

// maxShownRetryAfter caps the wait a result shows: a Retry-After is whatever
// the far end sent, and a wait of days (or 2562047h, from 99999999999
// seconds) is no advice a model can act on.
const maxShownRetryAfter = time.Hour

// retryAfterText is the wait to tell the model for a Retry-After of d: "a
// minute" when none was given, d to the second up to maxShownRetryAfter, and
// "more than an hour" past it.
func retryAfterText(d time.Duration) string {
	switch {
	case d <= 0:
		return "a minute"
	case d > maxShownRetryAfter:
		return "more than an hour (Composio asked for " + maxShownRetryAfter.String() + " or longer)"
	case d < time.Second:
		return "a second"
	}
	return d.Round(time.Second).String()
}

// redirectText describes a refused redirect: its status and the host it
// named, never the rest of its URL.
func redirectText(e *client.RedirectError) string {
	where := "a Location without a host"
	if e.LocationHost != "" {
		where = strconv.Quote(e.LocationHost)
	}
	return fmt.Sprintf("Composio's address answered HTTP %s, a redirect to %s, which this server refuses: Composio's API does not redirect, and following would send the server's Composio API key to that host. Nothing was sent there.", statusText(e.Status), where)
}

// busyText says which cap on calls in flight was full.
func busyText(e *client.BusyError) string {
	if e.PerCaller {
		return fmt.Sprintf("The server is busy: %d calls with these Composio credentials are already in flight, the most it runs at once for one caller, and none finished in time. This call was not sent.", e.Limit)
	}
	return fmt.Sprintf("The server is busy: %d calls to Composio are already in flight, the most it runs at once, and none finished in time. This call was not sent.", e.Limit)
}

// errorAttrs describes a failed call for the log.
func errorAttrs(err error) []any {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		return []any{"http_status", apiErr.HTTPStatus, "slug", apiErr.Slug, "request_id", apiErr.RequestID}
	}
	return []any{"err", err}
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
func expiryText(expiresAt string) string {
	if expiresAt == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, expiresAt)
	if err != nil {
		return "The link expires at " + expiresAt + "."
	}
	left := t.Sub(now()).Round(time.Second)
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
