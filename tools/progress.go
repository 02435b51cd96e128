package tools

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Progress pacing. Clients that reset their timeout on progress (the
// TypeScript SDK's resetTimeoutOnProgress) need a sign of life well inside
// 60 s; nobody needs more than a few a second.
const (
	// minProgressGap is the least time between two progress notifications
	// of one call; the last one ("response received") is always sent.
	minProgressGap = 250 * time.Millisecond
	// progressHeartbeat is how often a call still waiting says so.
	progressHeartbeat = 10 * time.Second
)

// progress sends notifications/progress for one tool call that asked for
// them with a progressToken.
type progress struct {
	ctx   context.Context
	srv   *server.MCPServer
	token mcp.ProgressToken
	gap   time.Duration
	now   func() time.Time

	// seq numbers the notifications of the whole tool call, which a
	// repaired call sends from more than one reporter.
	seq *progressSeq

	mu     sync.Mutex
	last   time.Time
	closed bool
	stop   chan struct{}
}

// startProgress returns a reporter for the call, or nil when the request
// carries no progressToken (every method of *progress accepts nil). The
// context it returns reports the client's retry waits.
func startProgress(ctx context.Context, req mcp.CallToolRequest, call *client.ProxyRequest) (context.Context, *progress) {
	pr := newProgress(ctx, req)
	if pr == nil {
		return ctx, nil
	}
	pr.send(fmt.Sprintf("sending %s %s %s to Composio", call.ToolkitSlug, call.Method, call.Endpoint), true)
	go pr.heartbeat(call.ToolkitSlug, progressHeartbeat)
	ctx = client.WithRetryObserver(ctx, func(r client.Retry) {
		why := "after a failed attempt"
		if r.RetryAfter {
			why = "as Composio asked (Retry-After)"
		}
		pr.send(fmt.Sprintf("attempt %d failed; waiting %s %s before trying again", r.Attempt, r.Wait.Round(time.Millisecond), why), true)
	})
	return ctx, pr
}

// newProgress returns a reporter for the call that sends nothing yet, or nil
// when the request carries no progressToken. Reporters of one call share the
// numbering that withProgressSeq put in ctx, so that progress only increases.
func newProgress(ctx context.Context, req mcp.CallToolRequest) *progress {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	seq, _ := ctx.Value(progressSeqKey{}).(*progressSeq)
	if seq == nil {
		seq = new(progressSeq)
	}
	return &progress{ctx: ctx, srv: srv, token: req.Params.Meta.ProgressToken, seq: seq, gap: minProgressGap, now: time.Now, stop: make(chan struct{})}
}

// progressSeq is the last progress number sent for one tool call.
type progressSeq struct{ n atomic.Int64 }

type progressSeqKey struct{}

// withProgressSeq gives the reporters made from ctx one numbering.
func withProgressSeq(ctx context.Context) context.Context {
	return context.WithValue(ctx, progressSeqKey{}, new(progressSeq))
}

// heartbeat says, every interval, that the call is still waiting.
func (pr *progress) heartbeat(toolkit string, interval time.Duration) {
	start := pr.now()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-pr.stop:
			return
		case <-pr.ctx.Done():
			return
		case <-t.C:
			pr.send(fmt.Sprintf("still waiting for the %s API (%s)", toolkit, pr.now().Sub(start).Round(time.Second)), false)
		}
	}
}

// send notifies the client unless the last notification was less than gap
// ago; force sends anyway (a change of state the client should see), which
// still bounds the rate, since there are only a few such changes per call.
func (pr *progress) send(msg string, force bool) {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	now := pr.now()
	if pr.closed || (!force && now.Sub(pr.last) < pr.gap) {
		pr.mu.Unlock()
		return
	}
	n := pr.seq.n.Add(1)
	pr.last = now
	// Sent under the lock, so that the client sees progress increase.
	defer pr.mu.Unlock()
	err := pr.srv.SendNotificationToClient(pr.ctx, string(mcp.MethodNotificationProgress), map[string]any{
		"progressToken": pr.token,
		"progress":      int(n),
		"message":       msg,
	})
	_ = err // a client that cannot take a notification still gets its result
}

// done sends the last notification and stops the heartbeat.
func (pr *progress) done(msg string) {
	if pr == nil {
		return
	}
	pr.send(msg, true)
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if !pr.closed {
		pr.closed = true
		close(pr.stop)
	}
}

// doneMessage is the last progress message of a call.
func doneMessage(resp *client.ProxyResponse, err error) string {
	if err != nil {
		return "failed: no usable answer from Composio"
	}
	return "response received: HTTP " + statusText(resp.Status)
}
