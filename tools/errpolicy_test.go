package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// The error policy of doc.go: a fault of this program is a Go error, not a
// result for the model.

func TestNilTenantsIsAGoError(t *testing.T) {
	t.Parallel()
	for name, h := range map[string]func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error){
		ProxyExecuteName:   proxyWith(Config{}).Handle,
		ListToolkitsName:   listWith(Config{}).Handle,
		ConnectToolkitName: connectWith(Config{}).Handle,
	} {
		var req mcp.CallToolRequest
		req.Params.RawArguments = json.RawMessage(map[string]string{
			ProxyExecuteName:   getUser,
			ListToolkitsName:   `{}`,
			ConnectToolkitName: `{"toolkit":"gmail"}`,
		}[name])
		res, err := h(context.Background(), req)
		if !errors.Is(err, errNoTenants) || res != nil {
			t.Errorf("%s without Tenants: result %+v, error %v; want the Go error %v", name, res, err, errNoTenants)
		}
	}
}

func TestNewNeedsAClient(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Error("New without Client or Tenants: no error")
	}
	if _, err := New(Config{Tenants: noTenants{}, Tools: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown tool "nope"`) {
		t.Errorf("New with an unknown tool: %v", err)
	}
}

func TestReencodeFailureIsAGoError(t *testing.T) {
	t.Parallel()
	bad := &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{"not json`)}
	call := &client.ProxyRequest{ToolkitSlug: "github", Method: "GET", Endpoint: "/x"}
	if res, err := responseResult(call, bad, 0, time.Now); err == nil || res != nil {
		t.Errorf("responseResult of unencodable data: result %+v, error %v; want a Go error", res, err)
	}
	var req mcp.CallToolRequest
	req.Params.RawArguments = json.RawMessage(getUser)
	res, err := testProxy(&fakeExecutor{resp: bad}, "trs_test", Config{}).Handle(context.Background(), req)
	if err == nil || res != nil || !strings.Contains(err.Error(), "could not be encoded") {
		t.Errorf("Handle of unencodable data: result %+v, error %v; want a Go error", res, err)
	}
}

// TestCompanionHonoursRetryAfter: the companion tools render Composio's
// errors as proxy_execute does, Retry-After included.
func TestCompanionHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	limited := &client.APIError{HTTPStatus: 429, Slug: client.SlugTooManyRequests, RetryAfter: 7 * time.Second}
	for _, tc := range []struct {
		name, args string
		h          func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)
	}{
		{ListToolkitsName, `{}`, listWith(Config{Tenants: single(&fakeAPI{err: limited})}).Handle},
		{ConnectToolkitName, `{"toolkit":"gmail"}`, connectWith(Config{Tenants: single(&fakeAPI{err: limited})}).Handle},
	} {
		res, _ := callHandler(t, tc.h, tc.args)
		if got := text(res); !res.IsError || !strings.Contains(got, "Wait 7s") {
			t.Errorf("%s: %s", tc.name, got)
		}
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]string{
		&client.APIError{HTTPStatus: 401, Slug: "Unauthorized", RequestID: "req_1"}: "COMPOSIO_API_KEY",
		&client.APIError{HTTPStatus: 429, RetryAfter: 3 * time.Second}:              "Wait 3s",
		&client.TimeoutError{After: 5 * time.Second}:                                "within 5s",
		&client.BusyError{Limit: 4}:                                                 "4 calls to Composio are already in flight",
	} {
		if got := ErrorText(err); !strings.Contains(got, want) {
			t.Errorf("ErrorText(%v) = %q, want it to say %q", err, got, want)
		}
	}
}
