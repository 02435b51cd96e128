package tools

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// structuredOf decodes a result's structured content.
func structuredOf(t *testing.T, s any) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// TestMaxPagesJoinsPages: max_pages 3 fetches three pages of the corpus's
// repository list, joins their items, and gives the page after them.
func TestMaxPagesJoinsPages(t *testing.T) {
	t.Parallel()
	fake, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{}))
	res := callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"GET","max_pages":3,"parameters":[{"name":"per_page","value":"40","type":"query"}]}`, nil)
	if res.IsError {
		t.Fatal(text(res))
	}
	sc := structuredOf(t, res.StructuredContent)
	var repos []struct{ ID int }
	_ = json.Unmarshal(sc["data"], &repos)
	if len(repos) != 120 || repos[0].ID != 500000 || repos[119].ID != 500119 {
		t.Errorf("joined %d repos, first %v", len(repos), repos[:min(1, len(repos))])
	}
	var paging pagingOutput
	_ = json.Unmarshal(sc["paging"], &paging)
	if paging != (pagingOutput{Fetched: 3, MaxPages: 3, Items: 120, Stopped: "max_pages reached"}) {
		t.Errorf("paging %+v", paging)
	}
	var next pageHint
	_ = json.Unmarshal(sc["next_page"], &next)
	if next.Endpoint != "/user/repos" || len(next.Parameters) != 2 || next.Parameters[0] != (client.Parameter{Name: "page", Value: "4", Type: "query"}) {
		t.Errorf("next page %s", sc["next_page"])
	}
	if !strings.Contains(text(res), "Fetched 3 of max_pages 3 pages, 120 items joined") {
		t.Errorf("text: %s", text(res)[:200])
	}
	if n := len(fake.ProxyRequests()); n != 3 {
		t.Errorf("%d requests sent, want 3", n)
	}
}

// TestMaxPagesStopsAtTheEnd: a list shorter than max_pages stops when the
// hint runs out, and says so; the result then has no next page.
func TestMaxPagesStopsAtTheEnd(t *testing.T) {
	t.Parallel()
	_, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{}))
	res := callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues?per_page=100","method":"GET","max_pages":10}`, nil)
	sc := structuredOf(t, res.StructuredContent)
	var paging pagingOutput
	_ = json.Unmarshal(sc["paging"], &paging)
	if paging.Fetched != 3 || paging.Items != 230 || paging.Stopped != "no next page" || sc["next_page"] != nil {
		t.Errorf("paging %+v, next %s", paging, sc["next_page"])
	}
	// A last page alone: one page, its items counted.
	res = callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues?per_page=100&page=3","method":"GET","max_pages":2}`, nil)
	_ = json.Unmarshal(structuredOf(t, res.StructuredContent)["paging"], &paging)
	if paging != (pagingOutput{Fetched: 1, MaxPages: 2, Items: 30, Stopped: "no next page"}) {
		t.Errorf("last page: paging %+v", paging)
	}
}

// TestMaxPagesRefused: max_pages on a write, or over 10, is an error naming
// it, and nothing is sent.
func TestMaxPagesRefused(t *testing.T) {
	t.Parallel()
	fake, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{}))
	for _, args := range []string{
		`{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{},"max_pages":2}`,
		`{"toolkit_slug":"github","endpoint":"/user/repos","method":"GET","max_pages":11}`,
		`{"toolkit_slug":"github","endpoint":"/user/repos","method":"GET","max_pages":"3"}`,
	} {
		res := callArgs(t, mc, args, nil)
		if !res.IsError || !strings.Contains(text(res), "nothing was sent") || !strings.Contains(text(res), "max_pages:") {
			t.Errorf("%s: %s", args, text(res))
		}
	}
	if n := len(fake.ProxyRequests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// limitedExecutor answers its calls after the first few with a rate limit:
// the API's 429 (composio false) or Composio's own.
type limitedExecutor struct {
	executor
	after    int32
	composio bool
	calls    atomic.Int32
}

func (l *limitedExecutor) ProxyExecute(ctx context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error) {
	if l.calls.Add(1) <= l.after {
		return l.executor.ProxyExecute(ctx, sessionID, req)
	}
	if l.composio {
		return nil, &client.APIError{HTTPStatus: 429, Slug: client.SlugTooManyRequests, Message: "Rate limit exceeded"}
	}
	return &client.ProxyResponse{Status: 429, Data: json.RawMessage(`{"message":"API rate limit exceeded"}`), Headers: client.Headers{"retry-after": "60"}}, nil
}

// TestMaxPagesStopsOnRateLimit: a 429 on page 3, the API's or Composio's,
// ends the pages fetched so far, and the result says it was a rate limit.
func TestMaxPagesStopsOnRateLimit(t *testing.T) {
	t.Parallel()
	for _, composio := range []bool{false, true} {
		_, c := fakeBackend(t)
		ex := &limitedExecutor{executor: c, after: 2, composio: composio}
		mc := inProcess(t, testProxy(ex, composiotest.SessionID, Config{}))
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/gmail/v1/users/me/messages","method":"GET","max_pages":5}`, nil)
		if res.IsError {
			t.Fatalf("composio %v: %s", composio, text(res))
		}
		sc := structuredOf(t, res.StructuredContent)
		var paging pagingOutput
		_ = json.Unmarshal(sc["paging"], &paging)
		if paging.Fetched != 2 || paging.Items != 200 || !paging.RateLimited || !strings.Contains(paging.Stopped, "rate limit") {
			t.Errorf("composio %v: paging %+v", composio, paging)
		}
		if !strings.Contains(text(res), "That is a rate limit: wait before asking for the next page.") {
			t.Errorf("composio %v: text %s", composio, text(res))
		}
		// The next page is page 3, the one that was refused.
		if !strings.Contains(string(sc["next_page"]), `"pageToken"`) {
			t.Errorf("composio %v: next page %s", composio, sc["next_page"])
		}
	}
}
