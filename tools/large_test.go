package tools

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

func resourceLinks(res *mcp.CallToolResult) []mcp.ResourceLink {
	var out []mcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(mcp.ResourceLink); ok {
			out = append(out, l)
		}
	}
	return out
}

// contentBytes is the exact bytes of a resource content, text or blob.
func contentBytes(t *testing.T, c mcp.ResourceContents) []byte {
	t.Helper()
	switch c := c.(type) {
	case mcp.TextResourceContents:
		return []byte(c.Text)
	case mcp.BlobResourceContents:
		b, err := base64.StdEncoding.DecodeString(c.Blob)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatalf("content %T", c)
	return nil
}

// TestLargeResultIsCutAndPaged: a response over MaxResultBytes comes back cut
// on a clean boundary, with a note, a resource link and valid structured
// content, and the resource's pages join into the exact full response.
func TestLargeResultIsCutAndPaged(t *testing.T) {
	t.Parallel()
	for version, protocol := range protocols {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			testLargeResult(t, protocol...)
		})
	}
}

func testLargeResult(t *testing.T, opts ...mcpclient.ClientOption) {
	_, c := fakeBackend(t)
	const limit = 4096
	const args = `{"toolkit_slug":"github","endpoint":"/bytes/50000","method":"GET"}`
	// What the tool says when it does not cut: the full structured content.
	full := []byte(call(t, testProxy(c, composiotest.SessionID, Config{}), args).StructuredContent.(json.RawMessage))
	if len(full) < 50000 {
		t.Fatalf("full result is only %d bytes", len(full))
	}

	p := testProxy(c, composiotest.SessionID, Config{MaxResultBytes: limit, Results: results.New(results.Config{})})
	mc := inProcess(t, p, opts...)
	res := callArgs(t, mc, args, nil)
	txt := text(res)
	if res.IsError {
		t.Fatalf("isError (an outputSchema violation would say so here): %s", txt)
	}
	if len(txt) > limit+3000 {
		t.Errorf("text is %d bytes, far over the %d limit", len(txt), limit)
	}
	for _, want := range []string{"github GET /bytes/50000 → HTTP 200 OK", "too large for one result", results.URIPrefix, "/2", "pagination", "query_result {\"result\": ", `"jq"`} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%.2000s", want, txt)
		}
	}
	links := resourceLinks(res)
	if len(links) != 1 || !strings.HasPrefix(links[0].URI, results.URIPrefix) || links[0].Size == nil || *links[0].Size != int64(len(full)) || links[0].MIMEType != "application/json" {
		t.Fatalf("resource links = %+v", links)
	}
	uri := links[0].URI

	var sc struct {
		Status    int             `json:"status"`
		Data      json.RawMessage `json:"data"`
		Truncated truncatedOutput `json:"truncated"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Status != 200 || sc.Data == nil || sc.Truncated.TotalBytes != len(fullData(t, full)) || sc.Truncated.ShownBytes != len(sc.Data) || !json.Valid(sc.Data) || !strings.Contains(txt, sc.Truncated.Result) || sc.Truncated.Resource != uri || sc.Truncated.Pages < 2 {
		t.Errorf("structuredContent = %s", b)
	}
	// The text carries what structuredContent does.
	_, said, _ := strings.Cut(txt, "The result as structuredContent, with data cut as said:\n")
	var inText, inStruct any
	if json.Unmarshal([]byte(said), &inText) != nil || json.Unmarshal(b, &inStruct) != nil || fmt.Sprint(inText) != fmt.Sprint(inStruct) {
		t.Errorf("the text says %s, structuredContent %s", said, b)
	}

	var joined []byte
	for n := 1; n <= sc.Truncated.Pages; n++ {
		rc, err := readResource(t, mc, fmt.Sprintf("%s/%d", uri, n))
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		page := contentBytes(t, rc)
		if len(page) > limit {
			t.Errorf("page %d is %d bytes", n, len(page))
		}
		if tc, ok := rc.(mcp.TextResourceContents); !ok || tc.MIMEType != "application/json" || tc.Meta["page"] != float64(n) && tc.Meta["page"] != n {
			t.Errorf("page %d content = %T %+v", n, rc, tc.Meta)
		}
		joined = append(joined, page...)
	}
	if !bytes.Equal(joined, full) {
		t.Fatalf("pages do not join into the full result:\n got %.300s…\nwant %.300s…", joined, full)
	}
	whole, err := readResource(t, mc, uri)
	if err != nil || !bytes.Equal(contentBytes(t, whole), full) {
		t.Errorf("whole resource differs from the full result (err %v)", err)
	}
	for _, bad := range []string{uri + "/0", fmt.Sprintf("%s/%d", uri, sc.Truncated.Pages+1), uri + "/x", results.URIPrefix + "0123456789abcdef0123456789abcdef", results.URIPrefix + "0123456789abcdef0123456789abcdef/1"} {
		if _, err := readResource(t, mc, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}

	// A small result is left alone.
	small := callArgs(t, mc, getUser, nil)
	if len(resourceLinks(small)) != 0 || !strings.Contains(text(small), `"data":{`) || strings.Contains(text(small), "truncated") {
		t.Errorf("small result was changed: %s", text(small))
	}
}

// fullData is the data member of a full result.
func fullData(t *testing.T, full []byte) json.RawMessage {
	t.Helper()
	var m struct{ Data json.RawMessage }
	if err := json.Unmarshal(full, &m); err != nil {
		t.Fatal(err)
	}
	return m.Data
}

// TestLargeResultWithoutStore: with no store, the cut still happens and says
// the whole could not be kept.
func TestLargeResultWithoutStore(t *testing.T) {
	t.Parallel()
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 200, Data: json.RawMessage(`"` + strings.Repeat("x", 5000) + `"`)}}
	res := call(t, testProxy(ex, "trs_test", Config{MaxResultBytes: 1024}), getUser)
	if txt := text(res); !strings.Contains(txt, "could not be kept") || len(resourceLinks(res)) != 0 {
		t.Errorf("result: %s", txt)
	}
}

func TestOutputSchemaDeclaresTruncated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want bool
	}{{Config{}, false}, {Config{MaxResultBytes: 1024}, true}} {
		out := string(proxyWith(tc.cfg).Tool().RawOutputSchema)
		if strings.Contains(out, `"truncated"`) != tc.want {
			t.Errorf("MaxResultBytes %d: output schema %s", tc.cfg.MaxResultBytes, out)
		}
	}
}
