package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestToolGolden pins the whole proxy_execute definition, so that any change to
// what clients are told shows up as a diff. Regenerate with go test ./tools -update.
func TestToolGolden(t *testing.T) {
	t.Parallel()
	got, err := json.MarshalIndent(proxyWith(Config{}).Tool(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/proxy_execute.golden.json", got)
}

func TestToolSchemaShape(t *testing.T) {
	t.Parallel()
	tool := proxyWith(Config{}).Tool()
	b, err := json.Marshal(tool)
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		InputSchema struct {
			Type       string                     `json:"type"`
			Ref        string                     `json:"$ref"`
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"inputSchema"`
		OutputSchema map[string]any `json:"outputSchema"`
		Annotations  map[string]any `json:"annotations"`
	}
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	in := def.InputSchema
	if in.Type != "object" || in.Ref != "" {
		t.Errorf("input root type=%q $ref=%q, want an inline object", in.Type, in.Ref)
	}
	if strings.Join(in.Required, ",") != "toolkit_slug,endpoint,method" {
		t.Errorf("required = %v", in.Required)
	}
	for _, p := range []string{"toolkit_slug", "endpoint", "method", "body", "binary_body", "parameters", "custom_connection_data"} {
		if !bytes.Contains(in.Properties[p], []byte(`"description"`)) {
			t.Errorf("property %s has no description", p)
		}
	}
	if !bytes.Contains(in.Properties["method"], []byte(`"enum":["GET","POST","PUT","DELETE","PATCH","HEAD"]`)) {
		t.Errorf("method enum: %s", in.Properties["method"])
	}
	if !bytes.Contains(in.Properties["binary_body"], []byte(`"oneOf"`)) {
		t.Errorf("binary_body is not oneOf: %s", in.Properties["binary_body"])
	}
	if !bytes.Contains(in.Properties["custom_connection_data"], []byte(`"deprecated":true`)) {
		t.Errorf("custom_connection_data not deprecated: %s", in.Properties["custom_connection_data"])
	}
	if def.OutputSchema["type"] != "object" {
		t.Errorf("output schema = %v", def.OutputSchema)
	}
	want := map[string]any{"readOnlyHint": false, "destructiveHint": true, "openWorldHint": true}
	for k, v := range want {
		if def.Annotations[k] != v {
			t.Errorf("annotation %s = %v, want %v", k, def.Annotations[k], v)
		}
	}
	if def.Annotations["title"] == "" {
		t.Error("no title annotation")
	}
}

// fakeExecutor is a unit-test stand-in for the Composio client.
type fakeExecutor struct {
	mu    sync.Mutex
	calls []*client.ProxyRequest
	resp  *client.ProxyResponse
	err   error
}

func (f *fakeExecutor) ProxyExecute(_ context.Context, sessionID string, req *client.ProxyRequest) (*client.ProxyResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sessionID != "trs_test" {
		return nil, fmt.Errorf("session %q", sessionID)
	}
	f.calls = append(f.calls, req)
	return f.resp, f.err
}

func call(t *testing.T, p *proxyTool, args string) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = ProxyExecuteName
	req.Params.RawArguments = json.RawMessage(args)
	res, err := p.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned a Go error (protocol error): %v", err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

const getUser = `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`

func TestHandleResults(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		args       string
		resp       *client.ProxyResponse
		err        error
		wantErr    bool
		wantText   []string
		structured bool
		link       bool
	}{
		{name: "ok", args: getUser,
			resp:     &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{"login":"octo"}`), Headers: client.Headers{"content-type": "application/json"}},
			wantText: []string{"github GET /user → HTTP 200 OK", `"data":{"login":"octo"}`, `"content-type":"application/json"`}, structured: true},
		{name: "string data", args: getUser,
			resp:     &client.ProxyResponse{Status: 200, Data: json.RawMessage(`"plain text"`)},
			wantText: []string{`"data":"plain text"`}, structured: true},
		{name: "binary", args: getUser,
			resp:     &client.ProxyResponse{Status: 200, Data: json.RawMessage(`{}`), BinaryData: &client.BinaryData{URL: "https://s3.test/f/report.pdf?sig=1", ContentType: "application/pdf", Size: 12345, ExpiresAt: "2026-01-01T01:00:00Z"}},
			wantText: []string{"application/pdf", "12345 bytes", "https://s3.test/f/report.pdf?sig=1", "expires at 2026-01-01T01:00:00Z (in 1h0m0s)"}, structured: true, link: true},
		{name: "upstream 404", args: getUser, wantErr: true,
			resp:     &client.ProxyResponse{Status: 404, Data: json.RawMessage(`{"message":"Not Found"}`)},
			wantText: []string{"HTTP 404 Not Found", `{"message":"Not Found"}`, "relative to the github account's base URL", `"/user/repos"`}, structured: true},
		{name: "upstream 401", args: getUser, wantErr: true,
			resp:     &client.ProxyResponse{Status: 401, Data: json.RawMessage(`{}`)},
			wantText: []string{"HTTP 401", "reconnect", "Never set Authorization"}, structured: true},
		{name: "upstream 429", args: getUser, wantErr: true,
			resp:     &client.ProxyResponse{Status: 429, Headers: client.Headers{"Retry-After": "30"}},
			wantText: []string{"HTTP 429", "own rate limit", "Retry-After: 30"}, structured: true},
		{name: "upstream 500", args: getUser, wantErr: true,
			resp:     &client.ProxyResponse{Status: 500},
			wantText: []string{"HTTP 500", "failed on its side"}, structured: true},
		{name: "no active connection", args: `{"toolkit_slug":"slack","endpoint":"/x","method":"GET"}`, wantErr: true,
			err: &client.APIError{HTTPStatus: 400, Code: "4302", Slug: client.SlugNoActiveConnection, Message: "No active connection found for toolkit(s) 'slack' in this session",
				RequestID: "req_1", SuggestedFix: "Connect the account.", Errors: []string{"toolkit slack", "second"}},
			wantText: []string{"HTTP 400 ToolRouterV2_NoActiveConnection, code 4302", "No active connection", "Suggested fix: Connect the account.", "- toolkit slack", "- second", "Request ID: req_1", "connect their slack account"}},
		{name: "string code", args: getUser, wantErr: true,
			err:      &client.APIError{HTTPStatus: 400, Code: "OriginMismatch", Slug: client.SlugOriginMismatch, Message: "origin"},
			wantText: []string{"code OriginMismatch", "relative to the API's base URL"}},
		{name: "html 502", args: getUser, wantErr: true,
			err:      &client.APIError{HTTPStatus: 502, Body: "<html>bad gateway</html>"},
			wantText: []string{"HTTP 502", "<html>bad gateway</html>", "Retrying this read is safe"}},
		{name: "composio 429", args: `{"toolkit_slug":"github","endpoint":"/user","method":"POST"}`, wantErr: true,
			err:      &client.APIError{HTTPStatus: 429, Slug: client.SlugTooManyRequests, Message: "Rate limit exceeded", RetryAfter: 2 * time.Second},
			wantText: []string{"not executed", "Wait 2s"}},
		{name: "unauthorized", args: getUser, wantErr: true,
			err:      &client.APIError{HTTPStatus: 401, Slug: client.SlugUnauthorized, Message: "Invalid API key"},
			wantText: []string{"COMPOSIO_API_KEY"}},
		{name: "timeout", args: `{"toolkit_slug":"github","endpoint":"/user","method":"DELETE"}`, wantErr: true,
			err:      &client.TimeoutError{After: 50 * time.Second, Err: context.DeadlineExceeded},
			wantText: []string{"within 50s", "may or may not", "check whether it took effect"}},
		{name: "refused", args: getUser, wantErr: true,
			err:      fmt.Errorf("composio: %w", syscall.ECONNREFUSED),
			wantText: []string{"connection refused", "Nothing was sent"}},
		{name: "cancelled", args: getUser, wantErr: true, err: context.Canceled, wantText: []string{"cancelled"}},
		{name: "too large", args: getUser, wantErr: true, err: &client.ResponseTooLargeError{Limit: 32 << 20}, wantText: []string{"larger than 32.0 MiB", "pagination"}},
		{name: "retried ok", args: getUser,
			resp:     &client.ProxyResponse{Status: 200, Attempts: 3},
			wantText: []string{"HTTP 200 OK (after 3 attempts)"}, structured: true},
		{name: "retried failure", args: getUser, wantErr: true,
			err:      &client.AttemptsError{Attempts: 3, Err: &client.APIError{HTTPStatus: 429, Slug: client.SlugTooManyRequests, RetryAfter: time.Second}},
			wantText: []string{"HTTP 429", "(3 attempts were made.)"}},
		{name: "other", args: getUser, wantErr: true, err: errors.New("tls: bad certificate"), wantText: []string{"tls: bad certificate"}},
		{name: "bad arguments", args: `{"toolkit_slug":"github","endpoint":"/user","method":"FETCH"}`, wantErr: true, wantText: []string{"nothing was sent", "method:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex := &fakeExecutor{resp: tt.resp, err: tt.err}
			res := call(t, testProxy(ex, "trs_test", Config{Now: clock}), tt.args)
			if res.IsError != tt.wantErr {
				t.Errorf("isError = %v, want %v: %s", res.IsError, tt.wantErr, text(res))
			}
			got := text(res)
			for _, w := range tt.wantText {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q:\n%s", w, got)
				}
			}
			if tt.structured != (res.StructuredContent != nil) {
				t.Errorf("structuredContent = %v, want present=%v", res.StructuredContent, tt.structured)
			}
			if res.StructuredContent != nil {
				// The text carries the same information as structuredContent.
				sc, _ := json.Marshal(res.StructuredContent)
				if !strings.Contains(got, string(sc)) {
					t.Errorf("text lacks the structured content %s", sc)
				}
			}
			var links int
			for _, c := range res.Content {
				if l, ok := c.(mcp.ResourceLink); ok {
					links++
					if l.URI != tt.resp.BinaryData.URL || l.MIMEType != "application/pdf" || l.Size == nil || *l.Size != 12345 || l.Name != "report.pdf" {
						t.Errorf("resource link = %+v", l)
					}
				}
			}
			if (links == 1) != tt.link {
				t.Errorf("%d resource links, want link=%v", links, tt.link)
			}
			if strings.Contains(tt.name, "bad arguments") && len(ex.calls) != 0 {
				t.Errorf("bad arguments were sent upstream: %+v", ex.calls)
			}
		})
	}
}

func TestHandleForwardsArgumentsAsGiven(t *testing.T) {
	t.Parallel()
	ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 200}}
	p := testProxy(ex, "trs_test", Config{})
	call(t, p, `{"toolkit_slug":"gmail","endpoint":"/x","method":"post","body":null}`)
	// In-process clients pass decoded arguments instead of raw bytes.
	var req mcp.CallToolRequest
	req.Params.Arguments = map[string]any{"toolkit_slug": "gmail", "endpoint": "/y", "method": "GET"}
	if _, err := p.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(ex.calls) != 2 {
		t.Fatalf("%d calls forwarded, want 2", len(ex.calls))
	}
	first, _ := json.Marshal(ex.calls[0])
	if string(first) != `{"toolkit_slug":"gmail","endpoint":"/x","method":"POST","body":null}` {
		t.Errorf("forwarded %s", first)
	}
	if ex.calls[1].Endpoint != "/y" {
		t.Errorf("in-process call forwarded %+v", ex.calls[1])
	}
}

func TestResultIsValidUTF8(t *testing.T) {
	t.Parallel()
	resp := &client.ProxyResponse{Status: 200, Data: json.RawMessage("{\"k\xff\":\"\xfe\xfd\"}")}
	res := resultOf(t, &client.ProxyRequest{ToolkitSlug: "github", Method: "GET", Endpoint: "/x"}, resp)
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(out) {
		t.Errorf("result is not valid UTF-8: %q", out)
	}
	if !strings.Contains(string(out), "\uFFFD") {
		t.Errorf("invalid bytes were not replaced: %s", out)
	}
}
