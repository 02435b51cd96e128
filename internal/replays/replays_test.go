package replays

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

const postIssue = `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues","method":"POST","body":{"title":"Hello"}}`

// replica is one server's proxy_execute handler, confirming writes with key,
// its replays on the store at url.
func replica(t *testing.T, fake *composiotest.Server, srv *redistest.Server, key string) server.ToolHandlerFunc {
	t.Helper()
	st := srv.Open(t)
	c, err := fake.Client()
	if err != nil {
		t.Fatal(err)
	}
	set, err := tools.New(tools.Config{Client: c, Sessions: tools.FixedSession(composiotest.SessionID),
		Tools: []string{tools.ProxyExecuteName}, ConfirmWrites: true, ConfirmKey: []byte(key), Replays: New(st)})
	if err != nil {
		t.Fatal(err)
	}
	return set.Tools()[0].Handler
}

// call is proxy_execute on protocol 2026-07-28, with an accepted answer to
// the confirmation of state when state is not "".
func call(t *testing.T, h server.ToolHandlerFunc, state string) *mcp.CallToolResult {
	t.Helper()
	ctx := server.WithRequestProtocolInfo(context.Background(), &server.RequestProtocolInfo{
		Modern: true, ProtocolVersion: mcp.ProtocolVersion20260728,
		ClientCapabilities: &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}},
	})
	var req mcp.CallToolRequest
	req.Params.Name = tools.ProxyExecuteName
	req.Params.RawArguments = []byte(postIssue)
	if state != "" {
		req.Params.RequestState = state
		req.Params.InputResponses = mcp.InputResponses{"confirm_write": mcp.NewElicitationInputResponse(
			mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}})}
	}
	res, err := h(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// text is a result's first text block.
func text(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	tc, _ := res.Content[0].(mcp.TextContent)
	return tc.Text
}

const fleetKey = "0123456789abcdef0123456789abcdef"

// Two replicas with one state key and one store: a confirmation asked on A
// and answered on B is sent once; the same answer repeated on A is replayed
// from the store, and the backend sees one write.
func TestConfirmationAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv, fake := fleet(t)
	a, b := replica(t, fake, srv, fleetKey), replica(t, fake, srv, fleetKey)

	asked := call(t, a, "")
	if !asked.NeedsInput() {
		t.Fatalf("A did not ask: %s", text(asked))
	}
	if res := call(t, b, asked.RequestState); res.IsError || strings.HasPrefix(text(res), "Replay") {
		t.Fatalf("answered on B: %s", text(res))
	}
	again := call(t, a, asked.RequestState)
	if again.IsError || !strings.HasPrefix(text(again), "Replay: ") || again.Meta == nil || again.Meta.AdditionalFields[tools.ReplayMetaKey] != true {
		t.Errorf("repeated on A: %s %+v", text(again), again.Meta)
	}
	if n := len(fake.ProxyRequests()); n != 1 {
		t.Errorf("the backend saw %d writes, want 1", n)
	}
	keys, _ := srv.Open(t).Client().Keys(context.Background(), "*").Result()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], store.KeyPrefix+"replay:") || strings.Contains(keys[0], asked.RequestState) {
		t.Errorf("store keys %q", keys)
	}
}

// A replica with another state key (COMPOSIO_MCP_STATE_KEY unset, so each
// draws its own) does not take the state: it asks again, and sends nothing.
func TestConfirmationNeedsOneStateKey(t *testing.T) {
	t.Parallel()
	srv, fake := fleet(t)
	a := replica(t, fake, srv, fleetKey)
	b := replica(t, fake, srv, "another key, another replica...")
	res := call(t, b, call(t, a, "").RequestState)
	if !res.NeedsInput() || len(fake.ProxyRequests()) != 0 {
		t.Errorf("B took A's state: %s", text(res))
	}
}

// With the store down a confirmed call is not sent: the server could not
// tell a repeat from a first attempt.
func TestStoreDownSendsNothing(t *testing.T) {
	t.Parallel()
	srv, fake := fleet(t)
	a := replica(t, fake, srv, fleetKey)
	state := call(t, a, "").RequestState
	srv.Stop()
	res := call(t, a, state)
	if !res.IsError || !strings.Contains(text(res), "Retry in a moment") || len(fake.ProxyRequests()) != 0 {
		t.Errorf("%s (%d sent)", text(res), len(fake.ProxyRequests()))
	}
}

// fleet is a store and a fake Composio for the test's replicas.
func fleet(t *testing.T) (*redistest.Server, *composiotest.Server) {
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	return redistest.Start(t), fake
}
