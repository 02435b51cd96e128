package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
)

// modernCall is a proxy_execute request on protocol 2026-07-28 from a client
// that can elicit, with the request state and answer of a confirmation when
// state is not "".
func modernCall(t *testing.T, args, state string, action mcp.ElicitationResponseAction) (context.Context, mcp.CallToolRequest) {
	t.Helper()
	ctx := server.WithRequestProtocolInfo(testContext(t), &server.RequestProtocolInfo{
		Modern: true, ProtocolVersion: mcp.ProtocolVersion20260728,
		ClientCapabilities: &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}},
	})
	var req mcp.CallToolRequest
	req.Params.Name = ProxyExecuteName
	req.Params.RawArguments = []byte(args)
	if state != "" {
		req.Params.RequestState = state
		req.Params.InputResponses = mcp.InputResponses{confirmID: mcp.NewElicitationInputResponse(
			mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: action}})}
	}
	return ctx, req
}

func handle(t *testing.T, p *proxyTool, args, state string) *mcp.CallToolResult {
	t.Helper()
	ctx, req := modernCall(t, args, state, mcp.ElicitationResponseActionAccept)
	res, err := p.Handle(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// askState asks p for a confirmation and returns its request state.
func askState(t *testing.T, p *proxyTool) string {
	t.Helper()
	res := handle(t, p, postIssue, "")
	if !res.NeedsInput() || res.RequestState == "" {
		t.Fatalf("no confirmation asked: %+v", res)
	}
	return res.RequestState
}

// A confirmation asked by one replica and answered on another is sent once;
// the same answer repeated (a retry after a lost response) gets the recorded
// result, marked as a replay, and sends nothing.
func TestConfirmedCallIsSentOnce(t *testing.T) {
	t.Parallel()
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 201, Data: []byte(`{"number":7}`)}}
	shared := newMemoryReplays(time.Now)
	cfg := Config{ConfirmWrites: true, ConfirmKey: []byte("the fleet's key"), Replays: shared}
	a, b := testProxy(ex, "trs_test", cfg), testProxy(ex, "trs_test", cfg)

	state := askState(t, a)
	first := handle(t, b, postIssue, state)
	if first.IsError || !strings.Contains(text(first), "HTTP 201") {
		t.Fatalf("confirmed call on B: %s", text(first))
	}
	for _, p := range []*proxyTool{a, b} {
		again := handle(t, p, postIssue, state)
		if again.IsError || !strings.HasPrefix(text(again), "Replay: this confirmed call was already sent") || !strings.Contains(text(again), "HTTP 201") {
			t.Errorf("repeat: %s", text(again))
		}
		if again.Meta == nil || again.Meta.AdditionalFields[ReplayMetaKey] != true {
			t.Errorf("repeat not marked in _meta: %+v", again.Meta)
		}
		if got, want := normalJSON(t, again.StructuredContent), normalJSON(t, first.StructuredContent); first.StructuredContent == nil || string(got) != string(want) {
			t.Errorf("structured content %s, want %s", got, want)
		}
	}
	if n := len(ex.calls); n != 1 {
		t.Errorf("the write was sent %d times, want 1", n)
	}
	// A new confirmation of the same call is a new call.
	if res := handle(t, a, postIssue, askState(t, a)); res.IsError || strings.HasPrefix(text(res), "Replay") || len(ex.calls) != 2 {
		t.Errorf("a second confirmation was replayed: %s (%d sent)", text(res), len(ex.calls))
	}
}

// A replica with another ConfirmKey refuses the state, and asks again.
func TestConfirmStateOfAnotherKeyIsAskedAgain(t *testing.T) {
	t.Parallel()
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 201}}
	a := testProxy(ex, "trs_test", Config{ConfirmWrites: true, ConfirmKey: []byte("replica A's random key")})
	b := testProxy(ex, "trs_test", Config{ConfirmWrites: true, ConfirmKey: []byte("replica B's random key")})
	res := handle(t, b, postIssue, askState(t, a))
	if !res.NeedsInput() || len(ex.calls) != 0 {
		t.Errorf("B took A's state: needs input %v, %d sent", res.NeedsInput(), len(ex.calls))
	}
}

// stuckReplays has a first attempt that never finishes, or a store that
// fails.
type stuckReplays struct{ err error }

func (s stuckReplays) Claim(context.Context, string, time.Duration) (bool, []byte, error) {
	return false, nil, s.err
}

func (stuckReplays) Record(context.Context, string, []byte, time.Duration) error { return nil }

func (stuckReplays) Release(context.Context, string) error { return nil }

// A repeat while the first attempt runs, or with the store down, sends
// nothing and says what to do.
func TestConfirmedCallNotSentWhenUnsure(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		replays Replays
		want    string
	}{
		"still running": {stuckReplays{}, "This confirmed call is still running"},
		"store down":    {stuckReplays{fmt.Errorf("store unavailable: %w", context.DeadlineExceeded)}, "store is unavailable, so this confirmed call was not sent"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 201}}
			p := testProxy(ex, "trs_test", Config{ConfirmWrites: true, Replays: tc.replays})
			p.replay.wait = 10 * time.Millisecond
			res := handle(t, p, postIssue, askState(t, p))
			if !res.IsError || !strings.Contains(text(res), tc.want) || !strings.Contains(text(res), "Retry in a moment") {
				t.Errorf("%s", text(res))
			}
			if len(ex.calls) != 0 {
				t.Errorf("sent %d times", len(ex.calls))
			}
		})
	}
}

// The in-memory Replays holds at most maxReplays entries and
// maxReplayBytes of results.
func TestMemoryReplaysBounded(t *testing.T) {
	t.Parallel()
	m := newMemoryReplays(time.Now)
	ctx := context.Background()
	for i := range maxReplays + 10 {
		k := strings.Repeat("k", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		if first, _, _ := m.Claim(ctx, k, time.Minute); !first {
			t.Fatalf("key %d claimed twice", i)
		}
		_ = m.Record(ctx, k, make([]byte, 64<<10), time.Minute)
	}
	if m.order.Len() > maxReplays || m.bytes > maxReplayBytes {
		t.Errorf("%d entries, %d bytes held", m.order.Len(), m.bytes)
	}
}

// normalJSON is v as JSON with its objects' keys in order.
func normalJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	var generic any
	if err == nil {
		err = json.Unmarshal(b, &generic)
	}
	if err == nil {
		b, err = json.Marshal(generic)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedIn names a signed-in caller, as tenant.ResultOwner does (unhashed
// here: the tools only compare it).
func signedIn(ctx context.Context, _ http.Header) string { return "user:" + oauth.User(ctx) }

// handleAs is handle for the signed-in user.
func handleAs(t *testing.T, p *proxyTool, user, state string) *mcp.CallToolResult {
	t.Helper()
	ctx, req := modernCall(t, postIssue, state, mcp.ElicitationResponseActionAccept)
	res, err := p.Handle(oauth.WithUser(ctx, user), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// On a server of many signed-in people (one project key, so no caller
// secrets), a repeat of one person's confirmed call by another is never
// answered with the first person's recorded result.
func TestReplayIsBoundToTheCaller(t *testing.T) {
	t.Parallel()
	r := replayer{store: newMemoryReplays(time.Now), caller: signedIn, log: slog.New(slog.DiscardHandler)}
	var req mcp.CallToolRequest
	req.Params.RequestState = "1764640000.0011223344556677.mac"
	alice := oauth.WithUser(context.Background(), "alice")
	bob := oauth.WithUser(context.Background(), "bob")
	if _, err := r.once(alice, req, func() (*mcp.CallToolResult, bool, error) {
		return mcp.NewToolResultText("alice's private data"), true, nil
	}); err != nil {
		t.Fatal(err)
	}
	res, _ := r.once(bob, req, func() (*mcp.CallToolResult, bool, error) {
		return mcp.NewToolResultText("bob's own call"), true, nil
	})
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok && strings.Contains(tc.Text, "alice") {
			t.Errorf("bob was served alice's recorded result: %q", tc.Text)
		}
	}
}

// A confirmation asked of Alice and presented by Bob is not his answer: he
// is asked again, nothing is sent, and he never gets Alice's result; Alice's
// own answer still goes ahead once.
func TestConfirmStateOfAnotherCallerIsAskedAgain(t *testing.T) {
	t.Parallel()
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 201, Data: []byte(`{"owner":"alice"}`)}}
	p := testProxy(ex, "trs_test", Config{ConfirmWrites: true, CallerOwner: signedIn})
	asked := handleAs(t, p, "alice", "")
	if !asked.NeedsInput() {
		t.Fatalf("alice was not asked: %s", text(asked))
	}
	if res := handleAs(t, p, "bob", asked.RequestState); !res.NeedsInput() || len(ex.calls) != 0 {
		t.Fatalf("bob's use of alice's state: needs input %v, %d sent: %s", res.NeedsInput(), len(ex.calls), text(res))
	}
	if res := handleAs(t, p, "alice", asked.RequestState); res.IsError || res.NeedsInput() || len(ex.calls) != 1 {
		t.Fatalf("alice's answer: %s (%d sent)", text(res), len(ex.calls))
	}
	if res := handleAs(t, p, "bob", asked.RequestState); !res.NeedsInput() || strings.Contains(text(res), "alice") || len(ex.calls) != 1 {
		t.Errorf("bob after alice's call: %s (%d sent)", text(res), len(ex.calls))
	}
}

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
