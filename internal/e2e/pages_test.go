package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// pagesClient is the binary on stdio against a fake whose corpus toolkits
// are connected, with args.
func pagesClient(t *testing.T, args ...string) *mcpclient.Client {
	t.Helper()
	fake := backend(t)
	fake.Connect(composiotest.UserID, "slack")
	c, _ := stdioClient(t, testContext(t, 20*time.Second), serverEnv(fake.URL), args...)
	return c
}

// member decodes one member of a result's structured content into v.
func member(t *testing.T, res *mcp.CallToolResult, name string, v any) {
	t.Helper()
	b, _ := json.Marshal(res.StructuredContent)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m[name] == nil {
		t.Fatalf("no %s in %s (%v)", name, lastBytes(string(b)), err)
	}
	if err := json.Unmarshal(m[name], v); err != nil {
		t.Fatal(err)
	}
}

type hintJSON struct {
	Style      string `json:"style"`
	Endpoint   string `json:"endpoint"`
	Parameters []struct{ Name, Value, Type string }
}

// TestNextPageHints: the corpus's GitHub, Slack and Gmail lists come back
// with the next call spelled out, and that call gets the next page.
func TestNextPageHints(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 20*time.Second)
	c := pagesClient(t)
	for _, tc := range []struct {
		toolkit, endpoint, style, param string
	}{
		{"github", "/user/repos?per_page=100", "link_header", "page"},
		{"slack", "/conversations.history?channel=C0123CORPUS", "slack", "cursor"},
		{"gmail", "/gmail/v1/users/me/messages?maxResults=500", "nextPageToken", "pageToken"},
	} {
		res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": tc.toolkit, "endpoint": tc.endpoint, "method": "GET"})
		var h hintJSON
		member(t, res, "next_page", &h)
		txt := resultText(res)
		if h.Style != tc.style || !strings.Contains(txt, "Next page ("+tc.style+"): call proxy_execute again with the same toolkit_slug and method, and {\"endpoint\":") {
			t.Errorf("%s: hint %+v; text …%s", tc.toolkit, h, lastBytes(txt))
		}
		t.Logf("%s: %s", tc.toolkit, txt[strings.LastIndex(txt, "Next page ("):])
		found := false
		for _, p := range h.Parameters {
			found = found || p.Name == tc.param && p.Type == "query" && p.Value != ""
		}
		if !found {
			t.Errorf("%s: no %s parameter in %+v", tc.toolkit, tc.param, h.Parameters)
		}
		// The hint's call is the next page: a different first item.
		params := make([]map[string]any, 0, len(h.Parameters))
		for _, p := range h.Parameters {
			params = append(params, map[string]any{"name": p.Name, "value": p.Value, "type": p.Type})
		}
		next := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": tc.toolkit, "endpoint": h.Endpoint, "method": "GET", "parameters": params})
		if next.IsError || resultText(next) == txt {
			t.Errorf("%s: next call: %s", tc.toolkit, lastBytes(resultText(next)))
		}
	}
}

// TestMaxPagesOverTheBinary: max_pages 3 on the corpus's issue list
// fetches three pages and joins them.
func TestMaxPagesOverTheBinary(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 20*time.Second)
	c := pagesClient(t, "--max-result-bytes", "0")
	res := mustCall(t, ctx, c, "proxy_execute", map[string]any{
		"toolkit_slug": "github", "endpoint": "/repos/octo-org/hello-world/issues", "method": "GET", "max_pages": 3,
		"parameters": []map[string]any{{"name": "per_page", "value": "50", "type": "query"}},
	})
	var paging struct {
		Fetched, Items int
		Stopped        string
	}
	member(t, res, "paging", &paging)
	var issues []map[string]any
	member(t, res, "data", &issues)
	if res.IsError || paging.Fetched != 3 || paging.Items != 150 || len(issues) != 150 || paging.Stopped != "max_pages reached" {
		t.Errorf("paging %+v, %d issues", paging, len(issues))
	}
	if !strings.Contains(resultText(res), "Fetched 3 of max_pages 3 pages, 150 items joined") {
		t.Errorf("text: %s", resultText(res)[:300])
	}
}

// TestDownloadDirOverTheBinary: on stdio a download is saved in the
// directory and the result names the file; over HTTP the flag is refused
// at start.
func TestDownloadDirOverTheBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := testContext(t, 20*time.Second)
	c := pagesClient(t, "--download-dir", dir)
	res := mustCall(t, ctx, c, "proxy_execute", map[string]any{"toolkit_slug": "gmail", "endpoint": "/download/report.pdf", "method": "GET"})
	var saved struct{ Path, Error string }
	member(t, res, "saved", &saved)
	if saved.Path != filepath.Join(dir, "report.pdf") || !strings.Contains(resultText(res), "Saved to "+saved.Path) {
		t.Errorf("saved %+v: %s", saved, resultText(res))
	}
	if info, err := os.Stat(saved.Path); err != nil || info.Size() == 0 {
		t.Errorf("the file: %v", err)
	}

	fake := backend(t)
	_, stderr, code := runBinary(t, serverEnv(fake.URL), "--transport", "http", "--listen", freeAddr(t), "--download-dir", dir)
	if code == 0 || !strings.Contains(stderr, "--download-dir works on --transport stdio only") {
		t.Errorf("http: exit %d, %s", code, lastBytes(stderr))
	}
}
