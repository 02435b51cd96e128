package tools

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu   sync.Mutex
	msgs []string
	nums []float64
	toks []any
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (l *progressLog) handle(n mcp.JSONRPCNotification) {
	if n.Method != string(mcp.MethodNotificationProgress) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := n.Params.AdditionalFields
	msg, _ := f["message"].(string)
	num, _ := f["progress"].(float64)
	if i, ok := f["progress"].(int); ok {
		num = float64(i)
	}
	l.msgs = append(l.msgs, msg)
	l.nums = append(l.nums, num)
	l.toks = append(l.toks, f["progressToken"])
}

// wait returns the messages once one contains final, or fails.
func (l *progressLog) wait(t *testing.T, final string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		msgs := append([]string(nil), l.msgs...)
		l.mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(m, final) {
				return msgs
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Fatalf("no progress message %q; got %q", final, l.msgs)
	return nil
}

// TestProgressNotifications: a call with a progressToken reports sending,
// the Retry-After wait of a rate-limited attempt, and the answer, in
// increasing order; a call without one reports nothing.
func TestProgressNotifications(t *testing.T) {
	t.Parallel()
	for version, protocol := range protocols {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			// One retry: the fake's /ratelimit answers 429 with Retry-After: 1.
			_, c := fakeBackend(t, client.WithMaxRetries(1))
			mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{}), protocol...)
			var log progressLog
			mc.OnNotification(log.handle)

			callArgs(t, mc, getUser, nil)
			res := callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/ratelimit","method":"GET"}`, &mcp.Meta{ProgressToken: "tok-1"})
			if !res.IsError {
				t.Fatalf("the rate-limited call succeeded: %s", text(res))
			}
			msgs := log.wait(t, "failed: no usable answer")
			want := []string{"sending github GET /ratelimit to Composio", "attempt 1 failed; waiting 1s as Composio asked (Retry-After)", "failed"}
			if len(msgs) != len(want) {
				t.Fatalf("progress messages = %q, want %d of them", msgs, len(want))
			}
			for i, w := range want {
				if !strings.Contains(msgs[i], w) {
					t.Errorf("message %d = %q, want %q", i, msgs[i], w)
				}
			}
			log.mu.Lock()
			for i := range log.nums {
				if log.nums[i] != float64(i+1) || log.toks[i] != "tok-1" {
					t.Errorf("notification %d: progress %v, token %v", i, log.nums[i], log.toks[i])
				}
			}
			log.mu.Unlock()

			callArgs(t, mc, getUser, &mcp.Meta{ProgressToken: 7})
			if msgs := log.wait(t, "response received: HTTP 200 OK"); len(msgs) != 5 {
				t.Errorf("messages after a second call: %q", msgs)
			}
		})
	}
}

// TestProgressIsRateLimited: heartbeats closer than the gap are dropped; the
// last message always goes.
func TestProgressIsRateLimited(t *testing.T) {
	t.Parallel()
	s := mcpserver.NewMCPServer("test", "0")
	clock := &fakeClock{t: time.Now()}
	pr := &progress{ctx: context.Background(), srv: s, token: "t", seq: new(progressSeq), gap: time.Second, now: clock.now, stop: make(chan struct{})}
	// No session in the context: sends fail quietly, but are still counted.
	for range 10 {
		pr.send("tick", false)
		clock.advance(100 * time.Millisecond)
	}
	if sent := pr.seq.n.Load(); sent != 1 {
		t.Errorf("%d of 10 heartbeats in one second were sent, want 1", sent)
	}
	pr.done("done")
	if pr.seq.n.Load() != 2 {
		t.Errorf("the last message was not sent")
	}
	pr.send("late", true)
	pr.done("again")
	if pr.seq.n.Load() != 2 {
		t.Errorf("messages after done were sent")
	}
	var nilPr *progress
	nilPr.send("x", true) // a call without a token: no-op, no panic
	nilPr.done("x")
}

// TestProgressHeartbeat: a call that waits long says so.
func TestProgressHeartbeat(t *testing.T) {
	t.Parallel()
	s := mcpserver.NewMCPServer("test", "0")
	pr := &progress{ctx: context.Background(), srv: s, token: "t", seq: new(progressSeq), gap: 0, now: time.Now, stop: make(chan struct{})}
	go pr.heartbeat("github", 5*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pr.mu.Lock()
		n := int(pr.seq.n.Load())
		pr.mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no heartbeat")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pr.done("done")
}
