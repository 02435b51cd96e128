package tools

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// DefaultConnectWait is how long a call waits, by default, for the person to
// connect an account it lacks. With the first attempt and the repeated call
// it fits within the default --timeout (50 s), and so under the 60 s most
// MCP clients give a tool call.
const DefaultConnectWait = 30 * time.Second

// Outcomes of a repair that did not end in the call being repeated, for
// connectionError and the log.
const (
	repairUnsupported = "unsupported" // the client cannot show a URL: the link goes in the result
	repairDeclined    = "declined"
	repairCancelled   = "cancelled"
	repairTimedOut    = "timed out"
	repairWrite       = "write not repeated" // the API may have acted on the first attempt
	repairNoLink      = "no link"            // creating the link failed
)

// repairer mends a proxy_execute call that failed because the user's
// connection for its toolkit is missing, expired or failed: it creates a
// Composio link and, on a client that can show a URL (URL-mode elicitation),
// asks the person to open it, waits for the connection to become ACTIVE and
// repeats the call once. Otherwise the failure says what the person must do.
type repairer struct {
	// wait bounds the wait for the person, from the question on.
	wait time.Duration
	// budget bounds the whole tool call once a repair begins (--timeout),
	// so that the repeated call ends before the client gives up.
	budget time.Duration
	ask    urlAsker
	clock  repairClock
	// firstPoll and maxPoll pace the status checks: doubling from the first
	// up to the largest, so that a quick person is seen quickly and a slow
	// one does not cost a request every half second.
	firstPoll, maxPoll time.Duration
	// callbackURL is sent as the link's callback_url, as connect_toolkit's.
	callbackURL string
	log         *slog.Logger
}

// urlAsker asks the person, through the MCP client, to open a URL.
type urlAsker interface {
	// canAsk reports whether the call's client can be asked at all.
	canAsk(ctx context.Context) bool
	// askURL shows url with msg under the elicitation id, and returns the
	// person's answer.
	askURL(ctx context.Context, id, url, msg string) (mcp.ElicitationResponseAction, error)
	// complete tells the client that the interaction id has finished.
	complete(ctx context.Context, id string)
}

// repairClock is the time a repair sees, and its waits.
type repairClock interface {
	now() time.Time
	sleep(ctx context.Context, d time.Duration) error
}

func newRepairer(e *env) *repairer {
	return &repairer{
		wait: e.cfg.ConnectWait, budget: e.cfg.CallTimeout,
		ask: mcpAsker{log: e.log}, clock: realClock{clock: e.now},
		firstPoll: 500 * time.Millisecond, maxPoll: 4 * time.Second,
		callbackURL: e.cfg.ConnectCallbackURL, log: e.log,
	}
}

// repairCall is the failed call and what a repair of it needs: the caller's
// Composio client and session, the tool request (for progress), when the
// tool call began, and how to send the call again.
type repairCall struct {
	req      mcp.CallToolRequest
	call     *client.ProxyRequest
	api      API
	sessions Sessions
	start    time.Time
	again    func(ctx context.Context) (*client.ProxyResponse, error)
}

// run returns resp and err unchanged unless they show a connection problem;
// then the repeated call's outcome, or a *connectionError saying what the
// person must do.
func (r *repairer) run(ctx context.Context, rc repairCall, resp *client.ProxyResponse, err error) (*client.ProxyResponse, error) {
	notConnected := errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection})
	rejected := err == nil && resp != nil && resp.Status == http.StatusUnauthorized
	if !notConnected && !rejected {
		return resp, err
	}
	// The status and link calls, the wait and the repeat all fit in what is
	// left of the call's budget (--timeout): a slow Composio cannot hold the
	// call past it.
	if r.budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rc.start.Add(r.budget).Sub(r.clock.now()))
		defer cancel()
	}
	tk := rc.call.ToolkitSlug
	status, connected, known := r.status(ctx, rc)
	if rejected && (connected || !known) {
		// The API refused an active connection, or one whose state is
		// unknown: not for us to mend.
		return resp, err
	}
	ce := &connectionError{cause: err, call: rc.call, status: status, wait: r.wait}
	if rejected {
		ce.apiStatus = resp.Status
	}
	if rejected && !readOnlyMethod(rc.call.Method) {
		// The write may have had effects before the API refused it.
		ce.outcome = repairWrite
	}
	ce.link, ce.linkErr = r.link(ctx, rc)
	switch {
	case ce.linkErr != nil:
		ce.outcome = repairNoLink
	case ce.outcome != "":
	case !r.ask.canAsk(ctx):
		ce.outcome = repairUnsupported
	default:
		if resp, err, ok := r.connectAndRepeat(ctx, rc, ce); ok {
			return resp, err
		}
	}
	r.log.InfoContext(ctx, "proxy_execute: connection not repaired", "toolkit", tk, "status", status, "outcome", ce.outcome)
	return nil, ce
}

// connectAndRepeat asks the person to open the link, waits for the
// connection, and repeats the call; ok is false when it was not repeated,
// with ce.outcome saying why.
func (r *repairer) connectAndRepeat(ctx context.Context, rc repairCall, ce *connectionError) (*client.ProxyResponse, error, bool) {
	tk := rc.call.ToolkitSlug
	end := r.clock.now().Add(r.wait)
	if r.budget > 0 {
		end = minTime(end, rc.start.Add(r.budget))
	}
	// Timeouts, not deadlines: durations on the repair's clock.
	askCtx, cancel := context.WithTimeout(ctx, end.Sub(r.clock.now()))
	defer cancel()
	id := "connect-" + tk + "-" + rand.Text()
	verb := "Connect"
	switch ce.status {
	case client.StatusExpired, client.StatusFailed, client.StatusInactive:
		// The person had an account: say why it must be connected again.
		verb = "Your " + tk + " connection is " + strings.ToLower(ce.status) + ". Reconnect"
	}
	msg := fmt.Sprintf("%s your %s account: open this Composio page and sign in. The assistant's %s call (%s %s) continues by itself once you have connected.", verb, tk, tk, rc.call.Method, rc.call.Endpoint)
	action, err := r.ask.askURL(askCtx, id, ce.link.RedirectURL, msg)
	switch {
	case err != nil && ctx.Err() != nil:
		ce.outcome, ce.cause = repairCancelled, ctx.Err()
		return nil, nil, false
	case err != nil && askCtx.Err() != nil:
		ce.outcome = repairTimedOut
		return nil, nil, false
	case err != nil:
		r.log.InfoContext(ctx, "proxy_execute: URL elicitation failed; returning the link instead", "err", err)
		ce.outcome = repairUnsupported
		return nil, nil, false
	case action == mcp.ElicitationResponseActionDecline:
		ce.outcome = repairDeclined
		return nil, nil, false
	case action != mcp.ElicitationResponseActionAccept:
		ce.outcome = repairCancelled
		return nil, nil, false
	}
	ce.accepted = true
	prog := newProgress(ctx, rc.req)
	if !r.waitActive(ctx, rc, end, prog, ce) {
		prog.done("stopped waiting: " + tk + " is not connected")
		return nil, nil, false
	}
	r.ask.complete(ctx, id)
	prog.done(tk + " is connected; repeating the call")
	r.log.InfoContext(ctx, "proxy_execute: connection repaired; repeating the call", "toolkit", tk)
	callCtx := ctx
	if r.budget > 0 {
		var cancelCall context.CancelFunc
		callCtx, cancelCall = context.WithTimeout(ctx, rc.start.Add(r.budget).Sub(r.clock.now()))
		defer cancelCall()
	}
	resp, err := rc.again(callCtx)
	return resp, err, true
}

// waitActive polls the toolkit's connection, with backoff, until it is
// ACTIVE (true) or end passes; it reports progress while it waits.
func (r *repairer) waitActive(ctx context.Context, rc repairCall, end time.Time, prog *progress, ce *connectionError) bool {
	tk := rc.call.ToolkitSlug
	begin := r.clock.now()
	for gap := r.firstPoll; ; gap = min(2*gap, r.maxPoll) {
		left := end.Sub(r.clock.now())
		if left <= 0 {
			ce.outcome = repairTimedOut
			return false
		}
		prog.send(fmt.Sprintf("waiting for the person to connect %s (%s of %s)", tk, r.clock.now().Sub(begin).Round(time.Second), r.wait), true)
		if err := r.clock.sleep(ctx, min(gap, left)); err != nil {
			ce.outcome, ce.cause = repairCancelled, err
			return false
		}
		status, connected, _ := r.status(ctx, rc)
		ce.status = status
		if connected {
			return true
		}
	}
}

// status is the toolkit's connection status in the session ("" when there is
// no connected account), whether proxy_execute can use it now, and whether
// Composio said (known is false when the status could not be read).
func (r *repairer) status(ctx context.Context, rc repairCall) (status string, connected, known bool) {
	var items []client.Toolkit
	err := rc.sessions.Run(ctx, func(id string) error {
		// One toolkit asked for: one page holds it.
		page, err := rc.api.ListToolkits(ctx, id, &client.ListToolkitsOptions{Toolkits: []string{rc.call.ToolkitSlug}})
		if err == nil {
			items = page.Items
		}
		return err
	})
	if err != nil {
		r.log.InfoContext(ctx, "proxy_execute: reading the connection status failed", "toolkit", rc.call.ToolkitSlug, "err", err)
		return "", false, false
	}
	for i := range items {
		if items[i].Slug != rc.call.ToolkitSlug {
			continue
		}
		status := ""
		if a := items[i].ConnectedAccount; a != nil {
			status = a.Status
		}
		return status, items[i].Connected(), true
	}
	return "", false, false
}

// link creates the Composio link that connects the toolkit.
func (r *repairer) link(ctx context.Context, rc repairCall) (*client.Link, error) {
	var l *client.Link
	err := rc.sessions.Run(ctx, func(id string) (err error) {
		l, err = rc.api.CreateLink(ctx, id, &client.LinkRequest{Toolkit: rc.call.ToolkitSlug, CallbackURL: r.callbackURL})
		return err
	})
	return l, err
}

// connectionError is a call that failed for want of an active connection and
// was not repaired: why (outcome), with the link the person can open. The
// one renderer (failureText) turns it into what to do.
type connectionError struct {
	cause     error // Composio's error, or nil when the API answered apiStatus
	apiStatus int
	call      *client.ProxyRequest
	status    string // the connection's status, "" for none
	outcome   string
	accepted  bool // the person accepted to open the link
	wait      time.Duration
	link      *client.Link
	linkErr   error
}

func (e *connectionError) Error() string {
	return fmt.Sprintf("no active %s connection (%s)", e.call.ToolkitSlug, e.outcome)
}

func (e *connectionError) Unwrap() error { return e.cause }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// readOnlyMethod reports whether m cannot change data, so that repeating it
// is always safe.
func readOnlyMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// mcpAsker asks through the MCP session of the call: URL-mode elicitation
// (MCP 2025-11-25), never form mode, since the person enters credentials.
type mcpAsker struct{ log *slog.Logger }

// canAsk implements urlAsker: a session of protocol 2025-11-25 or earlier
// whose client declared URL-mode elicitation. mcp-go sends 2026-07-28
// clients no server-initiated request.
func (mcpAsker) canAsk(ctx context.Context) bool {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return false
	}
	sess := mcpserver.ClientSessionFromContext(ctx)
	return mcpserver.ServerFromContext(ctx) != nil && sess != nil && supportsURLElicitation(sess)
}

func (mcpAsker) askURL(ctx context.Context, id, url, msg string) (mcp.ElicitationResponseAction, error) {
	srv := mcpserver.ServerFromContext(ctx)
	res, err := srv.RequestURLElicitation(ctx, mcpserver.ClientSessionFromContext(ctx), id, url, msg)
	if err != nil {
		return "", err
	}
	if res == nil {
		return "", errors.New("no answer to the elicitation")
	}
	return res.Action, nil
}

// complete sends notifications/elicitation/complete, which the spec lets a
// server send when the interaction it asked for has finished, so the client
// can close what it showed.
func (a mcpAsker) complete(ctx context.Context, id string) {
	srv := mcpserver.ServerFromContext(ctx)
	if err := srv.SendElicitationComplete(ctx, mcpserver.ClientSessionFromContext(ctx), id); err != nil {
		a.log.InfoContext(ctx, "proxy_execute: elicitation complete not sent", "err", err)
	}
}

// realClock is the tools' clock, and timers for its waits.
type realClock struct{ clock func() time.Time }

func (c realClock) now() time.Time { return c.clock() }

func (realClock) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d): // collected once it fires or is dropped (Go 1.23)
	}
	return nil
}
