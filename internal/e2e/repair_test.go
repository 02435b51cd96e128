package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// person answers URL elicitations as a person would: open the link in a
// browser (an HTTP GET, which connects the account on the fake) or not, then
// give action.
type person struct {
	open   bool
	action mcp.ElicitationResponseAction
	mu     sync.Mutex
	got    []mcp.ElicitationParams
}

func (p *person) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	p.got = append(p.got, req.Params)
	p.mu.Unlock()
	if p.open { // opens the link and accepts
		return (&urlElicitor{}).Elicit(ctx, req)
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: p.action}}, nil
}

// initURLElicitation initializes c on 2025-11-25, declaring URL-mode
// elicitation when urlMode is set.
func initURLElicitation(t *testing.T, ctx context.Context, c *mcpclient.Client, urlMode bool) {
	t.Helper()
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e-repair", Version: "0"}
	if urlMode {
		init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{URL: &struct{}{}}
	}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
}

// TestRepairEndToEnd: a call for a toolkit the user has disconnected asks
// the person, in the same call, to open the Composio link; once they have,
// the call's data comes back. Declining, never finishing, and a client
// without URL elicitation each get the link and what to do.
func TestRepairEndToEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		who     *person // nil: a client without elicitation
		wantErr bool
		want    []string
	}{
		{"accept", &person{open: true, action: mcp.ElicitationResponseActionAccept}, false, []string{"gmail GET /gmail/v1/users/me/profile → HTTP 200"}},
		{"decline", &person{action: mcp.ElicitationResponseActionDecline}, true, []string{"declined", "/link/", "repeat this call (proxy_execute GET /gmail/v1/users/me/profile on gmail)"}},
		{"timeout", &person{action: mcp.ElicitationResponseActionAccept}, true, []string{"not ACTIVE within 1s", "/link/", "repeat this call"}},
		{"no elicitation", nil, true, []string{"no connected gmail account", "open it in a browser", "/link/", "repeat this call (proxy_execute GET"}},
	}
	for _, tr := range []string{"stdio", "http"} {
		for _, tc := range cases {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := testContext(t, 20*time.Second)
				fake := backend(t)
				fake.Disconnect(composiotest.UserID, "gmail")
				args := []string{"--connect-wait", "1s"}
				var opts []mcpclient.ClientOption
				if tc.who != nil {
					tc.who = &person{open: tc.who.open, action: tc.who.action} // one per subtest
					opts = append(opts, mcpclient.WithElicitationHandler(tc.who))
				}
				var c *mcpclient.Client
				if tr == "stdio" {
					c, _, _ = launch{args: args, env: serverEnv(fake.URL)}.stdioClient(t, opts...)
				} else {
					addr, _ := startHTTP(t, serverEnv(fake.URL), append(args, "--transport", "http")...)
					c = startHTTPClient(t, ctx, "http", addr, nil, nil, opts...)
				}
				initURLElicitation(t, ctx, c, tc.who != nil)
				var mu sync.Mutex
				var progress []string
				c.OnNotification(func(n mcp.JSONRPCNotification) {
					if n.Method == string(mcp.MethodNotificationProgress) {
						mu.Lock()
						progress = append(progress, n.Params.AdditionalFields["message"].(string))
						mu.Unlock()
					}
				})
				var req mcp.CallToolRequest
				req.Params.Name = "proxy_execute"
				req.Params.Arguments = map[string]any{"toolkit_slug": "gmail", "endpoint": "/gmail/v1/users/me/profile", "method": "GET"}
				req.Params.Meta = &mcp.Meta{ProgressToken: "p-1"}
				res, err := c.CallTool(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				txt := resultText(res)
				if res.IsError != tc.wantErr {
					t.Fatalf("isError = %v:\n%s", res.IsError, txt)
				}
				for _, w := range tc.want {
					if !strings.Contains(txt, w) {
						t.Errorf("result lacks %q:\n%s", w, txt)
					}
				}
				if tc.who == nil {
					return
				}
				tc.who.mu.Lock()
				defer tc.who.mu.Unlock()
				if len(tc.who.got) != 1 || tc.who.got[0].Mode != mcp.ElicitationModeURL || !strings.HasPrefix(tc.who.got[0].URL, fake.URL+"/link/") {
					t.Errorf("elicitations: %+v", tc.who.got)
				}
				if tc.name == "accept" {
					mu.Lock()
					defer mu.Unlock()
					if !strings.Contains(strings.Join(progress, "|"), "gmail is connected; repeating the call") {
						t.Errorf("progress: %q", progress)
					}
				}
			})
		}
	}
}

// TestRepairRepeatsAWriteComposioNeverSent: a connection
// Composio reports missing is mended for a write too (Composio sent
// nothing); the write then goes out exactly once.
func TestRepairRepeatsAWriteComposioNeverSent(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 20*time.Second)
	fake := backend(t)
	who := &person{open: true, action: mcp.ElicitationResponseActionAccept}
	c := urlClient(t, ctx, fake, who, []string{"--connect-wait", "5s"}...)
	res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/chat.postMessage", "method": "POST", "body": map[string]any{"channel": "C1", "text": "hi"}})
	if res.IsError {
		t.Fatalf("repaired POST: %s", resultText(res))
	}
	n := 0
	for _, r := range fake.ProxyRequests() {
		if r.Endpoint == "/chat.postMessage" {
			n++
		}
	}
	if n != 2 { // the refused first attempt (never sent on) and the repeat
		t.Errorf("Composio saw %d proxy requests for the POST, want 2", n)
	}
}

// TestRepairDoesNotConfirmTwice: under --confirm-writes the repeated write is
// the one the person already confirmed: one confirmation, one link.
func TestRepairDoesNotConfirmTwice(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 20*time.Second)
	fake := backend(t)
	who := &person{open: true, action: mcp.ElicitationResponseActionAccept}
	var modes []string
	var mu sync.Mutex
	handler := elicitFunc(func(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		mu.Lock()
		modes = append(modes, req.Params.Mode)
		mu.Unlock()
		if req.Params.Mode != mcp.ElicitationModeURL { // the confirmation
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
		}
		return who.Elicit(ctx, req)
	})
	c := urlClient(t, ctx, fake, handler, []string{"--connect-wait", "5s", "--confirm-writes"}...)
	res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/chat.postMessage", "method": "POST", "body": map[string]any{"text": "hi"}})
	if res.IsError {
		t.Fatalf("repaired confirmed POST: %s", resultText(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(modes) != 2 || modes[0] == mcp.ElicitationModeURL || modes[1] != mcp.ElicitationModeURL {
		t.Errorf("elicitation modes asked: %q, want one confirmation then one URL", modes)
	}
}

// elicitFunc is an elicitation handler made of a function.
type elicitFunc func(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error)

func (f elicitFunc) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return f(ctx, req)
}

// TestRepairNotUnderDryRun: a dry run sends nothing, so it has no connection
// to repair and asks nobody.
func TestRepairNotUnderDryRun(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 20*time.Second)
	fake := backend(t)
	who := &person{open: true, action: mcp.ElicitationResponseActionAccept}
	c := urlClient(t, ctx, fake, who, []string{"--connect-wait", "5s", "--dry-run"}...)
	mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "slack", "endpoint": "/conversations.list", "method": "GET"})
	who.mu.Lock()
	defer who.mu.Unlock()
	if len(who.got) != 0 || len(fake.ProxyRequests()) != 0 {
		t.Errorf("dry run asked %d times, sent %d calls", len(who.got), len(fake.ProxyRequests()))
	}
}

// urlClient is the binary on stdio against fake, with args, under a client
// that declares URL-mode elicitation and answers with h.
func urlClient(t *testing.T, ctx context.Context, fake *composiotest.Server, h mcpclient.ElicitationHandler, args ...string) *mcpclient.Client {
	t.Helper()
	c, _, _ := launch{args: args, env: serverEnv(fake.URL)}.stdioClient(t, mcpclient.WithElicitationHandler(h))
	initURLElicitation(t, ctx, c, true)
	return c
}

// TestRepairExpiredConnection: the fake's googlecalendar account is EXPIRED,
// as a real one becomes when its authorization lapses. A client without URL
// elicitation is told the connection expired and given the link; with it,
// the person reconnects inside the call and the data comes back.
func TestRepairExpiredConnection(t *testing.T) {
	t.Parallel()
	call := map[string]any{"toolkit_slug": "googlecalendar", "endpoint": "/calendars/primary/events", "method": "GET"}
	t.Run("no elicitation", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t, 20*time.Second)
		fake := backend(t)
		c, _, _ := launch{env: serverEnv(fake.URL)}.stdioClient(t)
		initURLElicitation(t, ctx, c, false)
		res := mustCall(t, ctx, c, "proxy_execute", call)
		txt := resultText(res)
		if !res.IsError || !strings.Contains(txt, "expired") || !strings.Contains(txt, fake.URL+"/link/") {
			t.Fatalf("want an isError result saying the connection expired, with the link:\n%s", txt)
		}
	})
	t.Run("reconnected", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t, 20*time.Second)
		fake := backend(t)
		who := &person{open: true, action: mcp.ElicitationResponseActionAccept}
		c := urlClient(t, ctx, fake, who, "--connect-wait", "5s")
		res := mustCall(t, ctx, c, "proxy_execute", call)
		if txt := resultText(res); res.IsError || !strings.Contains(txt, "googlecalendar GET /calendars/primary/events → HTTP 200") {
			t.Fatalf("want the events after the reconnection:\n%s", txt)
		}
		who.mu.Lock()
		defer who.mu.Unlock()
		if len(who.got) != 1 || !strings.Contains(who.got[0].Message, "connection is expired. Reconnect your googlecalendar account") {
			t.Errorf("the person was not told the connection expired: %+v", who.got)
		}
	})
}
