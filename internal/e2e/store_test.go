package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// Two server processes over streamable HTTP sharing one Redis: a result cut
// on A is read whole on B; with Redis stopped, what needs it fails clearly
// within --timeout and what does not still works, and /readyz says so;
// with Redis back (empty), both recover without a restart.
func TestStoreSharedByTwoProcesses(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	fake := backend(t)
	const timeout = 10 * time.Second
	args := []string{"--transport", "http", "--store", redis.URL(), "--timeout", timeout.String(), "--max-result-bytes", "4096"}
	addrA, _ := startHTTP(t, serverEnv(fake.URL), args...)
	addrB, _ := startHTTP(t, serverEnv(fake.URL), args...)
	ctx := testContext(t, time.Minute)
	a := connectHTTP(t, ctx, "http", addrA, nil)
	b := connectHTTP(t, ctx, "http", addrB, nil)
	large := map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/60000", "method": "GET"}

	id := cutResultID(t, mustCall(t, ctx, a, "proxy_execute", large))
	res := mustCall(t, ctx, b, "query_result", map[string]any{"result": id, "jq": ".size"})
	if res.IsError || !strings.Contains(resultText(res), "\n60000") {
		t.Fatalf("query_result on B: %s", resultText(res))
	}
	whole := readWhole(t, ctx, b, "composio-proxy://results/"+id)
	var full struct {
		Status int
		Data   struct{ Size int }
	}
	if err := json.Unmarshal([]byte(whole), &full); err != nil || full.Status != 200 || full.Data.Size != 60000 || len(whole) < 60000 {
		t.Fatalf("resources/read on B: %v, %d bytes", err, len(whole))
	}
	t.Logf("up: cut on A as %s; B: query_result .size → 60000, resources/read → %d bytes", id, len(whole))

	redis.Stop()
	start := time.Now()
	res = mustCall(t, ctx, b, "query_result", map[string]any{"result": id})
	if took := time.Since(start); !res.IsError || !strings.Contains(resultText(res), "results store unavailable, retry in a few seconds") || took > timeout {
		t.Errorf("query_result with Redis down, after %s: %v %s", took, res.IsError, resultText(res))
	}
	t.Logf("down: query_result → isError %v in %s: %s", res.IsError, time.Since(start).Round(time.Millisecond), resultText(res))
	var rr mcp.ReadResourceRequest
	rr.Params.URI = "composio-proxy://results/" + id
	_, err := b.ReadResource(ctx, rr)
	if err == nil || !strings.Contains(err.Error(), "results store unavailable") || strings.Contains(err.Error(), redis.Addr()) {
		t.Errorf("resources/read with Redis down: %v", err)
	}
	t.Logf("down: resources/read → %v", err)
	small := mustCall(t, ctx, a, "proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
	if small.IsError {
		t.Errorf("a small call with Redis down: %s", resultText(small))
	}
	t.Logf("down: small proxy_execute → isError %v", small.IsError)
	cut := mustCall(t, ctx, a, "proxy_execute", large)
	if cut.IsError || !strings.Contains(resultText(cut), "the results store is unavailable") {
		t.Errorf("a large call with Redis down: %s", resultText(cut))
	}
	t.Logf("down: large proxy_execute → isError %v, %q", cut.IsError, sentenceWith(resultText(cut), "results store is unavailable"))
	for path, want := range map[string]int{"/readyz": 503, "/healthz": 200} {
		if code, body := probe(t, addrA, path); code != want || strings.Contains(body, redis.Addr()) {
			t.Errorf("%s with Redis down: %d %q", path, code, body)
		} else {
			t.Logf("down: GET %s → %d %q", path, code, body)
		}
	}

	if err := redis.Start(); err != nil {
		t.Fatal(err)
	}
	if code, body := probe(t, addrA, "/readyz"); code != 200 {
		t.Errorf("/readyz with Redis back: %d %q", code, body)
	} else {
		t.Logf("back: GET /readyz → %d %q", code, body)
	}
	id2 := cutResultID(t, mustCall(t, ctx, a, "proxy_execute", large))
	res = mustCall(t, ctx, b, "query_result", map[string]any{"result": id2, "jq": ".size"})
	if res.IsError || !strings.Contains(resultText(res), "\n60000") {
		t.Errorf("query_result on B with Redis back: %s", resultText(res))
	}
	t.Logf("back: cut on A as %s; B: query_result .size → isError %v", id2, res.IsError)
}

// cutResultID is the stored result's id that a cut proxy_execute result
// names.
func cutResultID(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	raw, _ := json.Marshal(res.StructuredContent)
	var sc struct {
		Truncated struct{ Result string }
	}
	if err := json.Unmarshal(raw, &sc); err != nil || sc.Truncated.Result == "" {
		t.Fatalf("no stored result in %s", lastBytes(resultText(res)))
	}
	return sc.Truncated.Result
}

// readWhole is the text of resources/read on uri.
func readWhole(t *testing.T, ctx context.Context, c *mcpclient.Client, uri string) string {
	t.Helper()
	var req mcp.ReadResourceRequest
	req.Params.URI = uri
	res, err := c.ReadResource(ctx, req)
	if err != nil || len(res.Contents) != 1 {
		t.Fatalf("resources/read %s: %v", uri, err)
	}
	tc, ok := res.Contents[0].(mcp.TextResourceContents)
	if !ok {
		t.Fatalf("resources/read %s: %T", uri, res.Contents[0])
	}
	return tc.Text
}

// probe is GET path on the server at addr, without a token.
func probe(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sentenceWith is the sentence of text that holds s, for the log.
func sentenceWith(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(text[:i], ". ") + 2
	end := strings.Index(text[i:], ".")
	return text[start : i+end+1]
}
