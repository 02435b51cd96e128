package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestDemo runs the whole demo, as go run ./examples/demo does: it builds the
// server, starts it with --sandbox and checks every scenario. It also holds the
// output to the promise the demo makes: each kind of result is shown.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Setenv("COMPOSIO_SESSION_ID", "trs_from_the_callers_shell") // must not leak into the sandbox
	t.Setenv("COMPOSIO_MCP_TRANSPORT", "http")                    // nor this
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, nil, &stdout, &stderr); err != nil {
		t.Fatalf("demo failed: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{
		"tool:    proxy_execute",
		"slack (Slack): not connected", // list_toolkits
		"HTTP 200 OK",                  // JSON data
		"HTTP 201 Created",             // POST with a body
		"The jq filter",                // jq narrows the answer
		`"data":{"size":300000,"start":"composiotest payload"}`,
		"call   query_result {\"result\":\"", // the stored result, by id
		`{"length":299972}`,                  // queried again
		"resource_link: report.pdf",          // binary download
		`starting "%PDF-1.4"`,                // and the link works
		"HTTP 404 Not Found",                 // upstream error
		"ToolRouterV2_NoActiveConnection",    // Composio error
		"Suggested fix:",
		"the user opens the link: HTTP 200", // connect_toolkit
		"slack POST /chat.postMessage → HTTP 201",
		"HTTP 429",         // Composio rate limit
		"nothing was sent", // bad arguments
		"result isError: true",
		"elicitation, mode \"url\"",           // the repair asks the person
		"the person opens the link: HTTP 200", // and they reconnect googlecalendar
		"googlecalendar GET /calendars/primary/events → HTTP 200",
		"All 13 results as expected",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestScenarioCheck makes sure the demo would notice a wrong result, so that
// "All 10 results as expected" means something.
func TestScenarioCheck(t *testing.T) {
	t.Parallel()
	text := func(s string) []mcp.Content { return []mcp.Content{mcp.NewTextContent(s)} }
	jsonData, download := byTitle(t, "JSON data from the API"), byTitle(t, "A binary download")
	queried := byTitle(t, "The stored result, queried again")
	tests := []struct {
		name string
		sc   scenario
		res  *mcp.CallToolResult
		want string // "" for a pass
	}{
		{"pass", jsonData, &mcp.CallToolResult{Content: text(`HTTP 200 {"per_page":"5"}`)}, ""},
		{"isError differs", jsonData, &mcp.CallToolResult{Content: text(`HTTP 200 {"per_page":"5"}`), IsError: true}, "isError is true"},
		{"text lacks a mention", jsonData, &mcp.CallToolResult{Content: text("HTTP 200")}, `does not mention "\"per_page\":\"5\""`},
		{"query_result answered otherwise", queried, &mcp.CallToolResult{Content: text("No stored result"), IsError: true}, "isError is true"},
		{"link missing", download, &mcp.CallToolResult{Content: text("Binary response: application/pdf expires")}, "resource_link present: false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.sc.check(tt.res)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("check = %q, want %q", got, tt.want)
			}
		})
	}
}

func byTitle(t *testing.T, title string) scenario {
	t.Helper()
	for _, sc := range scenarios() {
		if sc.title == title {
			return sc
		}
	}
	t.Fatalf("no scenario %q", title)
	return scenario{}
}
