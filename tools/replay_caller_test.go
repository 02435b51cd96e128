package tools

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/oauth"
)

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
