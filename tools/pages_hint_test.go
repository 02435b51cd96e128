package tools

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// linkExecutor answers every call with one page of items and the same Link
// header, and records the endpoints it was sent.
type linkExecutor struct {
	link string
	mu   sync.Mutex
	sent []string
}

func (l *linkExecutor) ProxyExecute(_ context.Context, _ string, req *client.ProxyRequest) (*client.ProxyResponse, error) {
	l.mu.Lock()
	l.sent = append(l.sent, req.Endpoint)
	l.mu.Unlock()
	return &client.ProxyResponse{Status: 200, Data: json.RawMessage(`[{"id":1},{"id":2}]`), Headers: client.Headers{"link": l.link}}, nil
}

// TestMaxPagesChecksEveryPage: a next page taken from the API's Link header
// goes through the same policy as the first call, and through the host of
// the first call when that was an absolute URL. A refused page ends the
// pages with "page N refused", is never sent, and is not shown as the next
// page; percent-escapes in the link stay escaped in the endpoint.
func TestMaxPagesChecksEveryPage(t *testing.T) {
	t.Parallel()
	const rel = `{"toolkit_slug":"github","endpoint":"/user/repos","method":"GET","max_pages":3}`
	const abs = `{"toolkit_slug":"github","endpoint":"https://api.github.com/user/repos","method":"GET","max_pages":3}`
	for _, tc := range []struct {
		name, link, args string
		absolute         bool
		refused          string // in paging.stopped; "" when page 2 is sent
		sent2            string // the endpoint sent for page 2
	}{
		{name: "double slash", link: `<https://api.github.com//evil.example/steal?page=2>; rel="next"`, args: rel, refused: "page 2 refused: endpoint: absolute URLs are refused"},
		{name: "double slash, absolute allowed", link: `<https://api.github.com//evil.example/steal?page=2>; rel="next"`, args: rel, absolute: true, refused: `page 2 refused: the next page's endpoint "//evil.example/steal" names a host`},
		{name: "escaped backslash", link: `<https://api.github.com/%5Cevil.example/steal?page=2>; rel="next"`, args: rel, sent2: "/%5Cevil.example/steal"},
		{name: "escaped tab", link: `<https://api.github.com/%09/evil.example/x?page=2>; rel="next"`, args: rel, sent2: "/%09/evil.example/x"},
		{name: "same host, absolute", link: `<https://api.github.com/user/repos?page=2>; rel="next"`, args: abs, absolute: true, sent2: "https://api.github.com/user/repos"},
		{name: "other host, absolute", link: `<https://evil.example/steal?page=2>; rel="next"`, args: abs, absolute: true, refused: `page 2 refused: the next page's URL "https://evil.example/steal" is not on https://api.github.com`},
		{name: "downgrade, absolute", link: `<http://api.github.com/user/repos?page=2>; rel="next"`, args: abs, absolute: true, refused: "page 2 refused: the next page's URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := &linkExecutor{link: tc.link}
			mc := inProcess(t, testProxy(ex, composiotest.SessionID, Config{Policy: Policy{AllowAbsoluteURLs: tc.absolute}}))
			res := callArgs(t, mc, tc.args, nil)
			if res.IsError {
				t.Fatal(text(res))
			}
			sc := structuredOf(t, res.StructuredContent)
			var paging pagingOutput
			_ = json.Unmarshal(sc["paging"], &paging)
			if tc.refused != "" {
				if paging.Fetched != 1 || !strings.HasPrefix(paging.Stopped, tc.refused) || len(ex.sent) != 1 {
					t.Errorf("paging %+v, sent %q", paging, ex.sent)
				}
				if !strings.Contains(text(res), "stopped: "+tc.refused) {
					t.Errorf("text: %s", text(res))
				}
				if sc["next_page"] != nil || strings.Contains(text(res), "Next page") {
					t.Errorf("a refused next page is shown: %s", sc["next_page"])
				}
				return
			}
			if paging.Fetched != 3 || len(ex.sent) != 3 || ex.sent[1] != tc.sent2 {
				t.Errorf("paging %+v, sent %q", paging, ex.sent)
			}
			var next pageHint
			_ = json.Unmarshal(sc["next_page"], &next)
			if next.Endpoint != tc.sent2 {
				t.Errorf("next page %s", sc["next_page"])
			}
		})
	}
}

// TestNextPageShownOnlyWhenAllowed: without max_pages the hint is only
// shown, and one the policy would refuse is left out.
func TestNextPageShownOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	ex := &linkExecutor{link: `<https://api.github.com//evil.example/steal?page=2>; rel="next"`}
	mc := inProcess(t, testProxy(ex, composiotest.SessionID, Config{}))
	res := callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"GET"}`, nil)
	if res.IsError {
		t.Fatal(text(res))
	}
	if sc := structuredOf(t, res.StructuredContent); sc["next_page"] != nil || strings.Contains(text(res), "Next page") {
		t.Errorf("next page %s; text %s", sc["next_page"], text(res))
	}
}
