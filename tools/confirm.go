package tools

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// confirmID keys the confirmation among a multi round-trip exchange's inputs.
const confirmID = "confirm_write"

// confirmStateTTL is how long an answer to a confirmation stays usable on a
// multi round-trip retry.
const confirmStateTTL = 10 * time.Minute

// maxSummaryChars bounds each part of the confirmation message: the person
// needs to recognise the call, not read a 4 MB body.
const maxSummaryChars = 600

const confirmNote = "\n\nThis server runs with --confirm-writes: each POST, PUT, PATCH or DELETE first asks the person to confirm it (MCP elicitation); if they decline, the call is not made."

// confirmer asks the person, through MCP elicitation, whether a call that
// can change data may go ahead.
type confirmer struct {
	enabled bool
	// key signs confirmation states, each bound to its caller; now dates
	// them.
	key    []byte
	caller callerOwner
	now    func() time.Time
	log    *slog.Logger
}

// check returns nil when the call may go ahead (a read, a server
// without --confirm-writes, or an accepted confirmation), else the result to
// answer with: declined, cancelled, or refused because the client cannot ask.
// byState reports a confirmation accepted across round trips, whose request
// state a client may present again: such a call is made once (replayer).
//
// A client on protocol 2026-07-28 or later gets no server-initiated request:
// the question goes back as an input_required result, and the client repeats
// the call with the answer, which is accepted only for the same call (the
// request state is a MAC of the call) and for a limited time.
func (c confirmer) check(ctx context.Context, req mcp.CallToolRequest, pc proxyCall) (res *mcp.CallToolResult, byState bool) {
	call := pc.req
	if !c.enabled || slices.Contains(ReadOnlyMethods(), call.Method) {
		return nil, false
	}
	if !clientCanElicit(ctx) {
		return errorResult(fmt.Sprintf("Refused, and nothing was sent: this server runs with --confirm-writes, so a %s needs the person's confirmation through MCP elicitation, and this MCP client does not support elicitation. Tell the person: use a client that supports elicitation, or have the operator restart the server without --confirm-writes (or with --read-only to allow reads only).", call.Method)), false
	}
	params := mcp.ElicitationParams{
		Message: confirmMessage(call, pc.file),
		// No fields: accepting is the confirmation.
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}},
	}
	var answer *mcp.ElicitationResult
	if server.IsModernRequest(ctx) {
		who := c.caller.of(ctx, req.Header)
		if checkConfirmState(c.key, req.Params.RequestState, who, call, c.now()) {
			answer = server.ElicitationResponse(req.Params.InputResponses, confirmID)
		}
		if answer == nil {
			return server.NewInputRequestBuilder(confirmState(c.key, who, call, c.now())).Elicit(confirmID, params).ToolResult(), false
		}
		byState = true
	} else {
		srv := server.ServerFromContext(ctx)
		if srv == nil {
			return errorResult("Refused, and nothing was sent: this server runs with --confirm-writes, and this call came without an MCP session to ask the person through."), false
		}
		var err error
		answer, err = srv.RequestElicitation(ctx, mcp.ElicitationRequest{
			Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
			Params:  params,
		})
		switch {
		case errors.Is(err, server.ErrElicitationNotSupported):
			return errorResult(fmt.Sprintf("Refused, and nothing was sent: this server runs with --confirm-writes, so a %s needs the person's confirmation through MCP elicitation, and this MCP client could not be asked. Tell the person: use a client that supports elicitation, or have the operator restart the server without --confirm-writes.", call.Method)), false
		case err != nil:
			c.log.InfoContext(ctx, "proxy_execute: confirmation failed", "err", err)
			return errorResult(fmt.Sprintf("The person could not be asked to confirm this %s (%v), so nothing was sent. This server runs with --confirm-writes; try again, or ask the person.", call.Method, err)), false
		}
	}
	what := fmt.Sprintf("%s %s on %s", call.Method, call.Endpoint, call.ToolkitSlug)
	switch answer.Action {
	case mcp.ElicitationResponseActionAccept:
		return nil, byState
	case mcp.ElicitationResponseActionDecline:
		return errorResult(fmt.Sprintf("The person declined this call (%s), so nothing was sent. Do not repeat it unless they ask you to; ask them what they want instead.", what)), false
	default:
		return errorResult(fmt.Sprintf("The person dismissed the confirmation of this call (%s) without approving it, so nothing was sent. Ask them before trying again.", what)), false
	}
}

// clientCanElicit reports whether the client declared the elicitation
// capability: per request on 2026-07-28 and later, at initialize before.
func clientCanElicit(ctx context.Context) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
	}
	s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	return ok && s.GetClientCapabilities().Elicitation != nil
}

// confirmMessage is what the person is shown: toolkit, method, endpoint, and
// a summary of what would be sent. Every value the agent chose is shown
// through shown or shownJSON: quoted, escaped and clipped, so that no value
// can add a line of its own (a fake "Method: GET"), reorder text with bidi
// controls, or bury the rest of the prompt under its length.
func confirmMessage(call *client.ProxyRequest, up *uploadedFile) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Allow the AI agent to make this call with your %s account? It may change data.\n\n", shown(call.ToolkitSlug, maxShownChars))
	fmt.Fprintf(&b, "Toolkit: %s\nMethod: %s\nEndpoint: %s\n", shown(call.ToolkitSlug, maxShownChars), shownKnown(call.Method, client.Methods()), shown(call.Endpoint, maxShownChars))
	for _, prm := range call.Parameters {
		fmt.Fprintf(&b, "%s parameter: %s = %s\n", shownKnown(prm.Type, []string{"header", "query"}), shown(prm.Name, maxShownChars), shown(prm.Value, maxShownChars))
	}
	if len(call.Body) > 0 && string(call.Body) != "null" {
		fmt.Fprintf(&b, "Body (%s): %s\n", sizeText(int64(len(call.Body))), shownJSON(call.Body, maxSummaryChars))
	}
	if bb := call.BinaryBody; bb != nil {
		switch {
		case up != nil:
			fmt.Fprintf(&b, "File: %s (%s, %s)\n", shown(up.path, maxShownChars), shown(up.contentType, maxShownChars), sizeText(int64(up.size)))
		case bb.URL != "":
			fmt.Fprintf(&b, "Binary body fetched from: %s (%s)\n", shown(bb.URL, maxShownChars), shown(orUnknown(bb.ContentType), maxShownChars))
		default:
			fmt.Fprintf(&b, "Binary body: about %s of %s\n", sizeText(int64(len(bb.Base64)*3/4)), shown(orUnknown(bb.ContentType), maxShownChars))
		}
	}
	b.WriteString("\nAccept to send it; decline to refuse.")
	return b.String()
}

// maxShownChars bounds each single value in the confirmation message, before
// escaping.
const maxShownChars = 200

// shownKnown shows a word from a fixed list (a method, a parameter type; the
// arguments were checked against it) as it is, else quoted like any value.
func shownKnown(w string, known []string) string {
	if slices.Contains(known, w) {
		return w
	}
	return shown(w, 20)
}

// shown is s as the person sees it: in double quotes, with the escapes of a
// Go string literal for quotes, backslashes, control characters (so no new
// line), invisible format characters such as the bidi overrides U+202A–U+202E
// and isolates U+2066–U+2069, U+200E/U+200F and U+061C (so no reordering),
// and invalid UTF-8; clipped to n characters with an ellipsis and the whole
// length.
func shown(s string, n int) string {
	return `"` + escapeShown(s, n, false) + `"`
}

// shownJSON is a JSON body as the person sees it: compacted (so one line),
// with the same characters escaped as in shown, but as JSON escapes, so that
// it still reads, and means, the same JSON; clipped to n characters.
func shownJSON(raw []byte, n int) string {
	var c bytes.Buffer
	if json.Compact(&c, raw) != nil {
		return shown(string(raw), n)
	}
	return escapeShown(c.String(), n, true)
}

// escapeShown escapes s rune by rune, as described at shown, and cuts it
// after n runes. In JSON mode only what is not printable is escaped, as
// \uXXXX, since the JSON's own quotes and escapes are already in place.
func escapeShown(s string, n int, jsonMode bool) string {
	var b strings.Builder
	runes := 0
	for i, r := range s {
		if runes == n {
			fmt.Fprintf(&b, "… (%d characters in all)", utf8.RuneCountInString(s))
			break
		}
		runes++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case jsonMode && isShownPlain(r):
			b.WriteRune(r)
		case jsonMode && r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		case jsonMode:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isShownPlain(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r) // '\n', '\u202e', …
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// isShownPlain reports whether r may be shown as it is: a printable
// character that is not a format character (Cf, where the bidi controls are).
func isShownPlain(r rune) bool {
	return r == ' ' || (strconv.IsPrint(r) && !unicode.Is(unicode.Cf, r))
}

// confirmState is the request state of a confirmation: when it was asked, a
// nonce, and a MAC under key binding both to the exact call and to the
// caller asked (who, a hash; "" on a server of one caller), so that another
// caller presenting it is asked again. The nonce makes
// each question's state its own, so that a call confirmed twice (asked
// twice, even within a second) is made twice, while a repeat of one answer
// is recognised as such (replayer).
func confirmState(key []byte, who string, call *client.ProxyRequest, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	n := hex.EncodeToString(nonce)
	return ts + "." + n + "." + confirmMAC(key, ts, n, who, call)
}

// checkConfirmState reports whether state is a live confirmation state for
// call, asked of who.
func checkConfirmState(key []byte, state, who string, call *client.ProxyRequest, now time.Time) bool {
	parts := strings.Split(state, ".")
	if len(parts) != 3 {
		return false
	}
	ts, nonce, mac := parts[0], parts[1], parts[2]
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(sec, 0))
	if age < -time.Minute || age > confirmStateTTL {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(confirmMAC(key, ts, nonce, who, call)))
}

func confirmMAC(key []byte, ts, nonce, who string, call *client.ProxyRequest) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{0})
	m.Write([]byte(nonce))
	m.Write([]byte{0})
	m.Write([]byte(who))
	m.Write([]byte{0})
	b, _ := json.Marshal(call)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}
