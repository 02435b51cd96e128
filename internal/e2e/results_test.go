package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// End-to-end tests of the result-shaping and safety features (large results,
// inline images, uploads, dry run, confirmation, progress) against the built
// binary over stdio, as an MCP client sees them.

// featureClient runs the binary over stdio against fake, with args, and
// returns an initialized mcp-go client built with opts.
func featureClient(t *testing.T, fake *composiotest.Server, args []string, opts ...mcpclient.ClientOption) *mcpclient.Client {
	t.Helper()
	c, _, _ := launch{args: args, env: serverEnv(fake.URL)}.stdioClient(t, opts...)
	ctx := featureContext(t)
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "results-e2e", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

func featureContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// featureCall calls proxy_execute with args (JSON) and, when token is not
// nil, a progress token.
func featureCall(t *testing.T, c *mcpclient.Client, args string, token any) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = "proxy_execute"
	var m map[string]any
	if err := json.Unmarshal([]byte(args), &m); err != nil {
		t.Fatal(err)
	}
	req.Params.Arguments = m
	if token != nil {
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
	}
	res, err := c.CallTool(featureContext(t), req)
	if err != nil {
		t.Fatalf("tools/call %s: %v", args, err)
	}
	return res
}

func readContent(t *testing.T, c *mcpclient.Client, uri string) []byte {
	t.Helper()
	var req mcp.ReadResourceRequest
	req.Params.URI = uri
	res, err := c.ReadResource(featureContext(t), req)
	if err != nil {
		t.Fatalf("resources/read %s: %v", uri, err)
	}
	if len(res.Contents) != 1 {
		t.Fatalf("%s: %d contents", uri, len(res.Contents))
	}
	switch rc := res.Contents[0].(type) {
	case mcp.TextResourceContents:
		return []byte(rc.Text)
	case mcp.BlobResourceContents:
		b, err := base64.StdEncoding.DecodeString(rc.Blob)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatalf("%s: content %T", uri, res.Contents[0])
	return nil
}

// eras are the client options of the two protocol eras the binary serves.
var eras = map[string][]mcpclient.ClientOption{
	"2026-07-28": {mcpclient.WithProtocolVersion(mcp.ProtocolVersion20260728)},
	"2025-11-25": {mcpclient.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION)},
}

// TestLargeResultEndToEnd: a response over --max-result-bytes is cut, and
// its pages, read with resources/read, join into the exact full response.
func TestLargeResultEndToEnd(t *testing.T) {
	t.Parallel()
	inParallel(t, slices.Sorted(maps.Keys(eras)), func(t *testing.T, era string) {
		fake := backend(t)
		c := featureClient(t, fake, []string{"--max-result-bytes", "4096"}, eras[era]...)
		if c.GetServerCapabilities().Resources == nil {
			t.Error("the server does not declare the resources capability")
		}
		tpls, err := c.ListResourceTemplates(featureContext(t), mcp.ListResourceTemplatesRequest{})
		if err != nil || len(tpls.ResourceTemplates) != 2 {
			t.Fatalf("resource templates: %+v, %v", tpls, err)
		}

		res := featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/bytes/60000","method":"GET"}`, nil)
		txt := resultText(res)
		if res.IsError || len(txt) > 4096+3000 || !strings.Contains(txt, "composio-proxy://results/") || !strings.Contains(txt, "pagination") {
			t.Fatalf("cut result (%d bytes of text):\n%.1500s", len(txt), txt)
		}
		var link *mcp.ResourceLink
		for _, ct := range res.Content {
			if l, ok := ct.(mcp.ResourceLink); ok {
				link = &l
			}
		}
		if link == nil || link.Size == nil {
			t.Fatalf("no resource link: %+v", res.Content)
		}
		var sc struct {
			Truncated struct {
				Pages      int `json:"pages"`
				ShownBytes int `json:"shown_bytes"`
			} `json:"truncated"`
		}
		b, _ := json.Marshal(res.StructuredContent)
		if json.Unmarshal(b, &sc) != nil || sc.Truncated.Pages < 2 {
			t.Fatalf("structuredContent = %s", b)
		}

		var joined []byte
		for n := 1; n <= sc.Truncated.Pages; n++ {
			page := readContent(t, c, fmt.Sprintf("%s/%d", link.URI, n))
			if n == 1 && !sameJSON(txt[strings.LastIndex(txt, "\n")+1:], string(b)) {
				t.Errorf("the text does not carry the cut structuredContent")
			}
			joined = append(joined, page...)
		}
		whole := readContent(t, c, link.URI)
		if !bytes.Equal(joined, whole) || int64(len(whole)) != *link.Size {
			t.Fatalf("pages (%d bytes) do not join into the whole (%d bytes, link says %d)", len(joined), len(whole), *link.Size)
		}
		var full struct {
			Status int `json:"status"`
			Data   struct {
				Size    int    `json:"size"`
				Payload string `json:"payload"`
			} `json:"data"`
		}
		if err := json.Unmarshal(whole, &full); err != nil || full.Status != 200 || full.Data.Size != 60000 || len(full.Data.Payload) < 59000 {
			t.Errorf("the whole response is not the upstream's: status %d, size %d, %v", full.Status, full.Data.Size, err)
		}
	})
}

// TestInlineImageEndToEnd: an image download comes back as an image block
// that decodes to exactly the file the link serves.
func TestInlineImageEndToEnd(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	c := featureClient(t, fake, nil)
	res := featureCall(t, c, `{"toolkit_slug":"gmail","endpoint":"/download/chart.png","method":"GET"}`, nil)
	var img *mcp.ImageContent
	var link *mcp.ResourceLink
	for _, ct := range res.Content {
		switch v := ct.(type) {
		case mcp.ImageContent:
			img = &v
		case mcp.ResourceLink:
			link = &v
		}
	}
	if img == nil || link == nil || img.MIMEType != "image/png" {
		t.Fatalf("content = %+v", res.Content)
	}
	resp, err := http.Get(link.URI)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got, err := base64.StdEncoding.DecodeString(img.Data)
	if err != nil || !bytes.Equal(got, want) || !bytes.HasPrefix(got, []byte("\x89PNG")) {
		t.Errorf("image block (%d bytes) differs from the file (%d bytes)", len(got), len(want))
	}
}

// TestUploadRootEndToEnd: --upload-root adds binary_body.file; files inside
// are sent, escapes are refused before anything is sent.
func TestUploadRootEndToEnd(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "up")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello upload"), 0o644)
	os.WriteFile(filepath.Join(base, "secret.txt"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.txt"))

	fake := backend(t)
	c := featureClient(t, fake, []string{"--upload-root", root})
	tools, err := c.ListTools(featureContext(t), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := proxySchema(t, tools)
	if !strings.Contains(schema, `"file"`) {
		t.Errorf("no file variant in %s", schema)
	}
	res := featureCall(t, c, `{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":{"file":"hello.txt"}}`, nil)
	if res.IsError || !strings.Contains(resultText(res), `"content_type":"text/plain; charset=utf-8"`) || !strings.Contains(resultText(res), `"bytes":12`) {
		t.Errorf("upload: %s", resultText(res))
	}
	before := len(fake.ProxyRequests())
	for _, path := range []string{"../secret.txt", filepath.Join(base, "secret.txt"), "link.txt"} {
		pathJSON, _ := json.Marshal(path)
		res := featureCall(t, c, `{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":{"file":`+string(pathJSON)+`}}`, nil)
		if !res.IsError || !strings.Contains(resultText(res), "binary_body.file") {
			t.Errorf("%s: %s", path, resultText(res))
		}
	}
	if len(fake.ProxyRequests()) != before {
		t.Error("a refused upload reached Composio")
	}

	// Without the flag the schema has no such variant.
	plain := featureClient(t, fake, nil)
	tools, _ = plain.ListTools(featureContext(t), mcp.ListToolsRequest{})
	if schema := proxySchema(t, tools); strings.Contains(schema, `"file"`) {
		t.Errorf("file variant without --upload-root: %s", schema)
	}
}

// proxySchema is proxy_execute's input schema in a tools/list answer.
func proxySchema(t *testing.T, list *mcp.ListToolsResult) string {
	t.Helper()
	for _, tool := range list.Tools {
		if tool.Name == "proxy_execute" {
			if len(tool.RawInputSchema) > 0 {
				return string(tool.RawInputSchema)
			}
			b, _ := json.Marshal(tool.InputSchema)
			return string(b)
		}
	}
	t.Fatalf("no proxy_execute in %+v", list.Tools)
	return ""
}

// TestDryRunEndToEnd: --dry-run sends nothing, and shows the request that
// the same call, made for real, sends to Composio.
func TestDryRunEndToEnd(t *testing.T) {
	t.Parallel()
	const args = `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues","method":"POST","body":{"title":"Hi","labels":["bug"]},"parameters":[{"name":"per_page","value":"5","type":"query"}]}`
	fake := backend(t)
	dry := featureClient(t, fake, []string{"--dry-run"})
	res := featureCall(t, dry, args, nil)
	if res.IsError {
		t.Fatalf("dry run: %s", resultText(res))
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("the dry run sent %d requests", n)
	}
	var shown struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &shown); err != nil {
		t.Fatal(err)
	}
	txt := resultText(res)
	if strings.Contains(txt, secretKey) || shown.Headers["X-Api-Key"] != "[REDACTED]" {
		t.Errorf("the key is not redacted:\n%s", txt)
	}

	real := featureClient(t, fake, nil)
	if res := featureCall(t, real, args, nil); res.IsError {
		t.Fatalf("real call: %s", resultText(res))
	}
	reqs := fake.Requests()
	got := reqs[len(reqs)-1]
	if got.Method != shown.Method || fake.URL+got.Path != shown.URL {
		t.Errorf("sent %s %s, dry run showed %s %s", got.Method, got.Path, shown.Method, shown.URL)
	}
	// The text shows the body as sent; structuredContent holds it as JSON.
	if !strings.HasSuffix(txt, "\n\n"+string(got.Body)) {
		t.Errorf("sent body\n%s\nnot at the end of the dry run's text:\n%s", got.Body, txt)
	}
	for k, v := range shown.Headers {
		want := got.Header.Get(k)
		switch k {
		case "Host":
			want = strings.TrimPrefix(fake.URL, "http://")
		case "X-Api-Key":
			want = "[REDACTED]"
		}
		if v != want {
			t.Errorf("header %s: shown %q, sent %q", k, v, want)
		}
	}
}

// elicitor answers every elicitation with action and counts them.
type elicitor struct {
	action mcp.ElicitationResponseAction
	mu     sync.Mutex
	n      int
	last   string
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	e.last = req.Params.Message
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: e.action}}, nil
}

// TestConfirmWritesEndToEnd: with --confirm-writes a write goes out only
// once the person accepts; a client without elicitation is refused.
func TestConfirmWritesEndToEnd(t *testing.T) {
	t.Parallel()
	const post = `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"name":"demo"}}`
	for era, opts := range eras {
		for _, tc := range []struct {
			action  mcp.ElicitationResponseAction
			sent    bool
			wantTxt string
		}{
			{mcp.ElicitationResponseActionAccept, true, "HTTP 201"},
			{mcp.ElicitationResponseActionDecline, false, "declined"},
			{mcp.ElicitationResponseActionCancel, false, "dismissed"},
			{"", false, "--confirm-writes"},
		} {
			name := string(tc.action)
			if name == "" {
				name = "no elicitation"
			}
			t.Run(era+"/"+name, func(t *testing.T) {
				t.Parallel()
				fake := backend(t)
				person := &elicitor{action: tc.action}
				o := append([]mcpclient.ClientOption(nil), opts...)
				if tc.action != "" {
					o = append(o, mcpclient.WithElicitationHandler(person))
				}
				c := featureClient(t, fake, []string{"--confirm-writes"}, o...)
				res := featureCall(t, c, post, nil)
				if res.IsError == tc.sent || !strings.Contains(resultText(res), tc.wantTxt) {
					t.Errorf("isError=%v:\n%s", res.IsError, resultText(res))
				}
				if sent := len(fake.ProxyRequests()) > 0; sent != tc.sent {
					t.Errorf("sent = %v, want %v", sent, tc.sent)
				}
				if tc.action != "" && (person.n != 1 || !strings.Contains(person.last, `Endpoint: "/user/repos"`) || !strings.Contains(person.last, `{"name":"demo"}`)) {
					t.Errorf("asked %d times, last:\n%s", person.n, person.last)
				}
				// Reads need no confirmation.
				if res := featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`, nil); res.IsError {
					t.Errorf("GET: %s", resultText(res))
				}
			})
		}
	}
}

// TestProgressEndToEnd: a call with a progressToken gets progress
// notifications: sent, waiting on Retry-After, and the end.
func TestProgressEndToEnd(t *testing.T) {
	t.Parallel()
	inParallel(t, slices.Sorted(maps.Keys(eras)), func(t *testing.T, era string) {
		fake := backend(t)
		c := featureClient(t, fake, []string{"--max-retries", "1"}, eras[era]...)
		var mu sync.Mutex
		var msgs []string
		c.OnNotification(func(n mcp.JSONRPCNotification) {
			if n.Method == "notifications/progress" && n.Params.AdditionalFields["progressToken"] == "p-1" {
				mu.Lock()
				msgs = append(msgs, fmt.Sprint(n.Params.AdditionalFields["message"]))
				mu.Unlock()
			}
		})
		featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/ratelimit","method":"GET"}`, "p-1")
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := strings.Join(msgs, " | ")
			mu.Unlock()
			if strings.Contains(got, "sending github GET /ratelimit") && strings.Contains(got, "Retry-After") && strings.Contains(got, "failed: no usable answer") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("progress messages: %s", got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
