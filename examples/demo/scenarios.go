package main

import (
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// scenario is one tool call and the kind of result it must produce.
type scenario struct {
	title, why string
	tool       string // "" means proxy_execute
	// args are the tool arguments, as an agent would send them; {{result}}
	// stands for the stored result the previous call named.
	args    string
	isError bool
	want    []string // substrings of the result's text
	link    bool     // a resource_link must come back
	open    bool     // open the result's redirect_url, as the user would
}

// scenarios are the calls the demo makes, in order: each kind of result a
// model can get, and the companion tools.
func scenarios() []scenario {
	return []scenario{
		{
			title: "Which APIs can the agent use?",
			why:   "list_toolkits shows the session's toolkits and which have a connected account",
			tool:  "list_toolkits",
			args:  `{}`,
			want:  []string{"github", "slack (Slack): not connected"},
		},
		{
			title: "JSON data from the API",
			why:   "Success: the API's status, body and headers, as text and as structuredContent",
			args:  `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"per_page","value":"5","type":"query"}]}`,
			want:  []string{"HTTP 200", `"per_page":"5"`},
		},
		{
			title: "A write with a JSON body",
			why:   "POST, PUT and PATCH take a JSON object in body; the sandbox echoes what the API received",
			args:  `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"name":"hello-mcp","private":true}}`,
			want:  []string{"HTTP 201", `"name":"hello-mcp"`},
		},
		{
			title: "Only what the agent needs: jq",
			why:   "A jq filter narrows a 300 KB answer on the server; the whole is kept, named by its id",
			args:  `{"toolkit_slug":"github","endpoint":"/bytes/300000","method":"GET","jq":"{size, start: .payload[:20]}"}`,
			want:  []string{`"data":{"size":300000,"start":"composiotest payload"}`, "The whole response is kept", "as result"},
		},
		{
			title: "The stored result, queried again",
			why:   "query_result filters the kept response again, or pages it, without calling the API",
			tool:  "query_result",
			args:  `{"result":"{{result}}","jq":"{length: (.payload | length)}"}`,
			want:  []string{`{"length":299972}`},
		},
		{
			title: "A binary download",
			why:   "Composio stores binary bodies and returns a signed, expiring URL: it comes back as a resource_link",
			args:  `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`,
			want:  []string{"Binary response: application/pdf", "expires"},
			link:  true,
		},
		{
			title:   "The API answers 404",
			why:     "Composio relays the third-party status inside HTTP 200; status >= 400 becomes isError, with a hint",
			args:    `{"toolkit_slug":"github","endpoint":"/status/404","method":"GET"}`,
			isError: true,
			want:    []string{"HTTP 404", "Hint:"},
		},
		{
			title:   "Composio refuses: account not connected",
			why:     "Composio's own errors keep their slug, code, suggested_fix and request_id, plus what to do next",
			args:    `{"toolkit_slug":"slack","endpoint":"/chat.postMessage","method":"POST","body":{"channel":"C0123","text":"Hello from MCP"}}`,
			isError: true,
			want:    []string{"ToolRouterV2_NoActiveConnection", "Suggested fix:", "What to do:"},
		},
		{
			title: "Connecting the account",
			why:   "connect_toolkit returns a link for the user to open; the demo opens it, as the user would",
			tool:  "connect_toolkit",
			args:  `{"toolkit":"slack"}`,
			want:  []string{"slack"},
			open:  true,
		},
		{
			title: "The same call, now connected",
			why:   "Once the account is connected, the call that failed goes through",
			args:  `{"toolkit_slug":"slack","endpoint":"/chat.postMessage","method":"POST","body":{"channel":"C0123","text":"Hello from MCP"}}`,
			want:  []string{"HTTP 201"},
		},
		{
			title:   "Composio's rate limit",
			why:     "A Composio 429 means the call was not executed; the server retries it, then says how long to wait",
			args:    `{"toolkit_slug":"github","endpoint":"/ratelimit","method":"GET"}`,
			isError: true,
			want:    []string{"HTTP 429", "Wait"},
		},
		{
			title:   "Bad arguments",
			why:     "Arguments are checked field by field before anything is sent",
			args:    `{"toolkit_slug":"github","endpoint":"/user","method":"FETCH"}`,
			isError: true,
			want:    []string{"nothing was sent", "method:"},
		},
	}
}

// toolName is the tool the scenario calls.
func (sc scenario) toolName() string {
	if sc.tool == "" {
		return "proxy_execute"
	}
	return sc.tool
}

// check says what is wrong with res for this scenario, or "".
func (sc scenario) check(res *mcp.CallToolResult) string {
	if res.IsError != sc.isError {
		return fmt.Sprintf("isError is %t, want %t", res.IsError, sc.isError)
	}
	var text strings.Builder
	link := false
	for _, content := range res.Content {
		switch c := content.(type) {
		case mcp.TextContent:
			text.WriteString(c.Text)
		case mcp.ResourceLink:
			link = true
		}
	}
	for _, w := range sc.want {
		if !strings.Contains(text.String(), w) {
			return fmt.Sprintf("the text does not mention %q", w)
		}
	}
	if link != sc.link {
		return fmt.Sprintf("resource_link present: %t, want %t", link, sc.link)
	}
	return ""
}
