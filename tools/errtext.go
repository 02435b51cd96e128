package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// ErrorText says what went wrong in a failed Composio call and what to do
// about it, for a person or a model: the rendering every tool result uses,
// for any command that reports Composio's errors.
func ErrorText(err error) string { return failureText(failedOp{}, err) }

// failedOp is what failed, for failureText: a proxy_execute call (call set),
// or another action named by what, e.g. "Listing toolkits".
type failedOp struct {
	what string
	call *client.ProxyRequest
	// connectTool names the tool that connects an account, "" when none is
	// served.
	connectTool string
	// linkToolkit is set when creating a link for it got a 404.
	linkToolkit string
}

// failureText is the one renderer of errors from Composio calls: Composio's
// error envelope in full, a refused redirect, a full server, a response too
// large, a timeout, a cancellation or a network failure, each with what to
// do next; and how many attempts were made.
func failureText(op failedOp, err error) string {
	text := failureSentence(op, err)
	if op.what != "" {
		text = op.what + " failed. " + text
	}
	if n := client.Attempts(err); n > 1 {
		text += fmt.Sprintf("\n(%d attempts were made.)", n)
	}
	return capErrorText(text)
}

// errorTailChars is how much of the end of a long error text capErrorText
// keeps: what to do, the request id and the attempts come last.
const errorTailChars = 2000

// capErrorText keeps an error text within maxErrorChars, which clients cut
// (Claude Code at about 11,000): it keeps the head, what failed, and the
// tail, what to do, and cuts from the middle, where a long body sits.
func capErrorText(text string) string {
	n := utf8.RuneCountInString(text)
	if n <= maxErrorChars {
		return text
	}
	r := []rune(text)
	marker := fmt.Sprintf("\n… [%d characters of this error cut here: it is %d characters in all] …\n", n-maxErrorChars, n)
	head := maxErrorChars - errorTailChars - utf8.RuneCountInString(marker)
	return string(r[:head]) + marker + string(r[n-errorTailChars:])
}

func failureSentence(op failedOp, err error) string {
	var apiErr *client.APIError
	var timeout *client.TimeoutError
	var tooLarge *client.ResponseTooLargeError
	var redirect *client.RedirectError
	var busy *client.BusyError
	var linkNF *client.LinkNotFoundError
	var conn *connectionError
	call := op.call
	if errors.As(err, &linkNF) {
		op.linkToolkit = linkNF.Toolkit
	}
	switch {
	case errors.As(err, &conn):
		return connectionText(conn)
	case errors.As(err, &apiErr):
		if op.connectTool == "" {
			op.connectTool = connectToolOf(err)
		}
		return apiErrorText(op, apiErr)
	case errors.As(err, &redirect):
		return redirectText(redirect) + " The call was not made. The server's COMPOSIO_BASE_URL may point at the wrong host, or something between this server and Composio is answering in its place; retrying will not help."
	case errors.As(err, &busy):
		return busyText(busy) + " Retry in a few seconds."
	case errors.As(err, &tooLarge) && call != nil:
		return fmt.Sprintf("The %s API's response to %s %s was larger than %s, so it was not read. Ask for less: use the API's pagination (a page size such as maxResults, per_page or limit) or its field selection (such as fields), then call again.",
			call.ToolkitSlug, call.Method, call.Endpoint, sizeText(tooLarge.Limit))
	case errors.As(err, &tooLarge):
		return fmt.Sprintf("Composio's answer was larger than %s, so it was not read.", sizeText(tooLarge.Limit))
	case errors.As(err, &timeout) && call != nil:
		return fmt.Sprintf("No answer from Composio within %s for %s %s on %s. The call may or may not have reached the %s API. %s",
			timeout.After, call.Method, call.Endpoint, call.ToolkitSlug, call.ToolkitSlug, op.retryAdvice())
	case errors.As(err, &timeout):
		return fmt.Sprintf("No answer from Composio within %s. %s", timeout.After, op.retryAdvice())
	case errors.Is(err, context.Canceled):
		return "The call was cancelled before Composio answered."
	case errors.Is(err, context.DeadlineExceeded):
		return "The call timed out before Composio answered. " + op.retryAdvice()
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Could not connect to Composio: connection refused (%v). Nothing was sent; the server's COMPOSIO_BASE_URL or the network may be wrong.", err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("The connection to Composio was reset (%v). %s", err, op.retryAdvice())
	}
	return fmt.Sprintf("Calling Composio failed: %v. %s", err, op.retryAdvice())
}

// retryAdvice says whether repeating the call is safe: always for the
// companion tools and reads, only after a check for a write.
func (op failedOp) retryAdvice() string {
	if op.call == nil {
		return "Retrying is safe."
	}
	if op.call.Method == http.MethodGet || op.call.Method == http.MethodHead {
		return "Retrying this read is safe."
	}
	return "Before repeating this " + op.call.Method + ", check whether it took effect, so as not to do it twice."
}

// toolkit is the toolkit the failed call was for, "" when none.
func (op failedOp) toolkit() string {
	if op.call == nil {
		return ""
	}
	return op.call.ToolkitSlug
}

// apiErrorText renders Composio's error envelope in full, then says what to do.
func apiErrorText(op failedOp, e *client.APIError) string {
	text := apiEnvelope(e)
	if next := nextStep(op, e); next != "" {
		text += "\nWhat to do: " + next
	}
	return text
}

// apiEnvelope renders Composio's error envelope in full.
func apiEnvelope(e *client.APIError) string {
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
	return b.String()
}

// nextStep tells the model what to do about a Composio error.
func nextStep(op failedOp, e *client.APIError) string {
	tk := op.toolkit()
	switch {
	case op.linkToolkit != "":
		return linkNotFoundStep(op.linkToolkit)
	case e.Slug == client.SlugNoActiveConnection && op.connectTool != "":
		return fmt.Sprintf("the user has no connected %[1]s account in this session. Call %[2]s with {\"toolkit\": %[3]q}: it gives a link the user opens to connect their %[1]s account. Call again once they have.", tk, op.connectTool, tk)
	case e.Slug == client.SlugNoActiveConnection:
		return fmt.Sprintf("the user has no connected %[1]s account in this session. Ask them to connect their %[1]s account in Composio, then call again.", tk)
	case client.IsSessionGone(e):
		return sessionNotFoundStep
	case e.Slug == client.SlugOriginMismatch:
		return fmt.Sprintf("the endpoint is an absolute URL on a domain other than the %s account's API. Use a path relative to the API's base URL instead.", tk)
	case e.Slug == client.SlugSSRFBlocked:
		return "Composio blocks that destination; call the toolkit's own API with a relative path."
	case e.HTTPStatus == http.StatusUnauthorized:
		return "the Composio credentials were rejected. The operator must set a valid COMPOSIO_API_KEY (or COMPOSIO_USER_API_KEY; on a multi-tenant server, the client must send a valid X-Composio-Api-Key); retrying will not help."
	case e.HTTPStatus == http.StatusForbidden:
		need := ""
		if op.call != nil {
			need = " (proxy execute / session tool execution)"
		}
		return "the Composio API key lacks a permission this call needs" + need + ". The operator must grant it."
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "Composio's rate limit for this organisation was hit; the call was not executed. Wait " + retryAfterText(e.RetryAfter) + ", then call again."
	case e.HTTPStatus == http.StatusRequestEntityTooLarge:
		return "the request is too large for Composio. Send a smaller body; a binary upload as base64 is limited to 4 MB decoded, and binary_body.url lets Composio fetch a larger file itself."
	case e.HTTPStatus == http.StatusBadRequest:
		if op.call == nil {
			return "fix what the errors above name; list_toolkits shows the toolkits of this session."
		}
		return "fix the arguments named above and call again."
	case (e.HTTPStatus == http.StatusBadGateway || e.HTTPStatus == http.StatusGatewayTimeout) && op.call != nil:
		return "Composio could not complete the call to the " + tk + " API. " + op.retryAdvice()
	case e.HTTPStatus >= 500:
		return "Composio failed on its side. " + op.retryAdvice()
	}
	return ""
}

// linkNotFoundStep is what to do about a 404 from creating a link, where it
// need not mean that the session is gone (which is why the session was not
// replaced): the toolkit, or the auth config it needs, may not exist.
func linkNotFoundStep(toolkit string) string {
	return fmt.Sprintf("Composio found no toolkit %[1]q, or no auth config for it, to connect. Check the slug (list_toolkits names the toolkits of this session). A toolkit without Composio-managed auth needs an auth config: the operator creates one in Composio and sets --auth-configs %[1]s=ac_… (COMPOSIO_MCP_AUTH_CONFIGS; on a multi-tenant server the client sends the X-Composio-Auth-Configs header). Retrying will not help until then.", toolkit)
}

// sessionNotFoundStep is what to do about an expired session that the server
// could not replace: it replaces sessions itself only when it knows the user.
const sessionNotFoundStep = "the tool-router session has expired or does not exist, and this server cannot create a new one because it does not know the Composio user id. The operator must set COMPOSIO_USER_ID (or --user-id; on a multi-tenant server the client sends X-Composio-User-Id instead of X-Composio-Session-Id) so that the server creates and renews sessions itself, or give it a new session id. Retrying will not help until then."

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

// connectionText says why a call that lacked an active connection was not
// repaired, and what the person must do: open the link, then which call to
// repeat.
func connectionText(e *connectionError) string {
	var b strings.Builder
	c := e.call
	tk := c.ToolkitSlug
	var apiErr *client.APIError
	switch {
	case e.apiStatus != 0:
		fmt.Fprintf(&b, "The %s API answered HTTP %s to %s %s, and Composio reports that %s.", tk, statusText(e.apiStatus), c.Method, c.Endpoint, connectionState(tk, e.status))
	case errors.As(e.cause, &apiErr):
		b.WriteString(apiEnvelope(apiErr))
		fmt.Fprintf(&b, "\nComposio did not call the %s API: %s.", tk, connectionState(tk, e.status))
	default:
		fmt.Fprintf(&b, "%s.", connectionState(tk, e.status))
	}
	repeat := fmt.Sprintf("repeat this call (proxy_execute %s %s on %s)", c.Method, c.Endpoint, tk)
	link := ""
	if e.link != nil {
		link = e.link.RedirectURL
	}
	b.WriteString("\nWhat to do: ")
	switch e.outcome {
	case repairNoLink:
		fmt.Fprintf(&b, "ask the user to connect their %s account in Composio (creating a link for them failed: %s), then %s.", tk, failureSentence(failedOp{}, e.linkErr), repeat)
	case repairWrite:
		fmt.Fprintf(&b, "this %s may have reached the %s API before it refused it, so it was not repeated. Give the user this link and ask them to open it in a browser and sign in to %s:\n%s\nOnce they say they have finished, check whether the %s took effect before you repeat it.", c.Method, tk, tk, link, c.Method)
	case repairDeclined, repairCancelled:
		verb := "declined"
		if e.outcome == repairCancelled {
			verb = "dismissed the request"
		}
		fmt.Fprintf(&b, "the user was asked to open a link to connect %s and %s. Do not ask again unless they want to; %s cannot be used until it is connected. Should they change their mind, give them this link:\n%s\nOnce they say they have finished, %s.", tk, verb, tk, link, repeat)
	case repairTimedOut:
		did := "did not answer in time"
		if e.accepted {
			did = "agreed to open it"
		}
		now := "no connected account yet"
		if e.status != "" {
			now = "status " + e.status
		}
		fmt.Fprintf(&b, "the user was asked to open a link to connect %s and %s, but the connection was not ACTIVE within %s (--connect-wait; %s). If they are still signing in, wait until they say they have finished, then %s. The link, should they need it again:\n%s", tk, did, e.wait, now, repeat, link)
	default:
		fmt.Fprintf(&b, "give the user this link and ask them to open it in a browser to connect their %s account:\n%s\nOnce they say they have finished, %s.", tk, link, repeat)
		if tool := connectToolOf(e.cause); tool != "" {
			fmt.Fprintf(&b, " Should the link have expired by then: Call %s with {\"toolkit\": %q}, which gives a new one.", tool, tk)
		}
	}
	return b.String()
}

// connectionState says what is wrong with the user's connection for tk in
// the words of its Composio status.
func connectionState(tk, status string) string {
	for _, st := range [...]struct{ status, text string }{
		{"", "the user has no connected %s account in this session"},
		{"EXPIRED", "the user's %s connection has expired and must be reconnected"},
		{"FAILED", "connecting the user's %s account failed; it must be connected again"},
		{"INITIATED", "the user started connecting %s but has not finished"},
		{"INACTIVE", "the user's %s connection is disabled and must be reconnected"},
		{"ACTIVE", "Composio found no active %s connection for this call"},
	} {
		if strings.EqualFold(status, st.status) {
			return fmt.Sprintf(st.text, tk)
		}
	}
	return "the user's " + tk + " connection is " + status + ", not ACTIVE"
}

// storeUnavailableText is the answer of a call that needs the results store
// while it does not answer: nothing is wrong with the call, and the store
// may be back in a moment.
func storeUnavailableText() string {
	return "The stored result could not be read: " + results.UnavailableText + ". (This server keeps stored results in a shared store, which did not answer; if it comes back without them, call proxy_execute again, with jq to ask for less.)"
}

// notKeptText says, after a cut, that the whole of what could not be kept
// for reading later, and why: the store did not answer (err), or it is
// larger than this server keeps for one caller.
func notKeptText(what string, err error) string {
	if err != nil {
		return fmt.Sprintf(" The whole %s could not be kept for reading later: the results store is unavailable. To see more of it, repeat the call if it is a read, asking for less (a narrower query, or a jq filter); a write has already been made, so do not repeat it for this.", what)
	}
	return fmt.Sprintf(" The whole %s could not be kept for reading later (it is larger than this server keeps for one caller).", what)
}
