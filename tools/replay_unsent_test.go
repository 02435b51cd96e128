package tools

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// A confirmed call that sent nothing is not recorded: a retry with the same
// answer goes ahead instead of being told it was already sent.
func TestReplayOfUnsentCallGoesAhead(t *testing.T) {
	t.Parallel()
	r := replayer{store: newMemoryReplays(time.Now), log: slog.New(slog.DiscardHandler)}
	var req mcp.CallToolRequest
	req.Params.RequestState = "1764640000.0011223344556677.mac"
	ctx := context.Background()
	_, _ = r.once(ctx, req, func() (*mcp.CallToolResult, bool, error) {
		return errorResult("Composio is busy: nothing was sent. Retry in a moment."), false, nil
	})
	sent := false
	res, _ := r.once(ctx, req, func() (*mcp.CallToolResult, bool, error) {
		sent = true
		return mcp.NewToolResultText("ok"), true, nil
	})
	if !sent {
		t.Errorf("retry of an unsent call was not sent; told: %q", text(res))
	}
}

// Through proxy_execute: a confirmed call that Composio refused with its
// rate limit (not executed), found the server busy, or got no session is
// sent again when the same answer is repeated; one that may have reached
// the API (no answer in time) is replayed, not sent twice.
func TestConfirmedCallSentNothingIsNotReplayed(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		err       error
		wantCalls int
	}{
		"rate limited": {&client.APIError{HTTPStatus: 429, Slug: client.SlugTooManyRequests}, 2},
		"busy":         {&client.BusyError{Limit: 4}, 2},
		"no answer":    {&client.TimeoutError{After: time.Second}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := &fakeExecutor{err: tc.err}
			p := testProxy(ex, "trs_test", Config{ConfirmWrites: true})
			state := askState(t, p)
			if res := handle(t, p, postIssue, state); !res.IsError {
				t.Fatalf("first: %s", text(res))
			}
			again := handle(t, p, postIssue, state)
			if replayed := strings.HasPrefix(text(again), "Replay"); replayed != (tc.wantCalls == 1) || len(ex.calls) != tc.wantCalls {
				t.Errorf("repeat (%d sent): %s", len(ex.calls), text(again))
			}
		})
	}
	// No session: the call never reached the executor.
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 201}}
	p := testProxy(ex, "trs_test", Config{ConfirmWrites: true})
	p.route.tenants = singleTenant{Client: executorOnly{ex}, Sessions: failingSessions{}}
	state := askState(t, p)
	_ = handle(t, p, postIssue, state)
	p.route.tenants = singleTenant{Client: executorOnly{ex}, Sessions: FixedSession("trs_test")}
	if res := handle(t, p, postIssue, state); res.IsError || strings.HasPrefix(text(res), "Replay") || len(ex.calls) != 1 {
		t.Errorf("after no session: %s (%d sent)", text(res), len(ex.calls))
	}
}

// failingSessions cannot get a session: Run fails before calling fn.
type failingSessions struct{}

func (failingSessions) Run(context.Context, func(string) error) error {
	return &client.APIError{HTTPStatus: 401, Slug: "HTTP_Unauthorized"}
}
