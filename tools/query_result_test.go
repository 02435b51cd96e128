package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// jqSet is the tools against a fake Composio, with results cut at limit and
// kept per the X-Caller header.
func jqSet(t *testing.T, limit int) (*composiotest.Server, map[string]func(h http.Header, args string) *mcp.CallToolResult) {
	t.Helper()
	return jqSetWith(t, limit, results.Config{})
}

// jqSetWith is jqSet with a results store of cfg (its Owner set).
func jqSetWith(t *testing.T, limit int, cfg results.Config) (*composiotest.Server, map[string]func(h http.Header, args string) *mcp.CallToolResult) {
	t.Helper()
	fake, c := fakeBackend(t)
	cfg.Owner = func(_ context.Context, h http.Header) string { return "caller " + h.Get("X-Caller") }
	store := results.New(cfg)
	set, err := New(Config{Client: c, Sessions: FixedSession(composiotest.SessionID), MaxResultBytes: limit, Results: store})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(http.Header, string) *mcp.CallToolResult{}
	for _, st := range set.Tools() {
		calls[st.Tool.Name] = func(h http.Header, args string) *mcp.CallToolResult {
			t.Helper()
			var req mcp.CallToolRequest
			req.Header = h
			req.Params.RawArguments = json.RawMessage(args)
			res, err := st.Handler(testContext(t), req)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
	}
	return fake, calls
}

func textOf(res *mcp.CallToolResult) string { return res.Content[0].(mcp.TextContent).Text }

var resultID = regexp.MustCompile(`as result ([0-9a-f]{32})`)

// proxy_execute's jq narrows the data and is not sent; the whole response
// is kept, and query_result filters it again, pages it, and refuses
// another caller or an unknown id.
func TestJQAndQueryResult(t *testing.T) {
	t.Parallel()
	fake, call := jqSet(t, 4096)
	alice := http.Header{"X-Caller": {"alice"}}
	res := call[ProxyExecuteName](alice, `{"toolkit_slug":"github","endpoint":"/bytes/60000","method":"GET","jq":".size"}`)
	txt := textOf(res)
	if res.IsError || !strings.HasSuffix(txt, `"status":200,"data":60000,"headers":{"content-type":"application/json","x-upstream":"composiotest"}}`) {
		t.Fatalf("filtered result:\n%s", txt)
	}
	for _, r := range fake.Requests() {
		if bytes.Contains(r.Body, []byte(`"jq"`)) || bytes.Contains(r.Body, []byte(`.size`)) {
			t.Errorf("the filter reached Composio: %s", r.Body)
		}
	}
	m := resultID.FindStringSubmatch(txt)
	if m == nil {
		t.Fatalf("no result id in:\n%s", txt)
	}
	id := m[1]
	var structured struct{ Result string }
	if err := json.Unmarshal(res.StructuredContent.(json.RawMessage), &structured); err != nil || structured.Result != id {
		t.Errorf("structuredContent result = %q, %v; want %s", structured.Result, err, id)
	}

	q := call[QueryResultName]
	got := q(alice, `{"result":"`+id+`","jq":"{size}"}`)
	if got.IsError || !strings.HasSuffix(textOf(got), "\n"+`{"size":60000}`) {
		t.Errorf("query_result with jq:\n%s", textOf(got))
	}
	// Without jq: the data, in pages of the limit that join into it.
	var joined strings.Builder
	pages := 0
	for n := 1; ; n++ {
		page := q(alice, `{"result":"composio-proxy://results/`+id+`","page":`+strconv.Itoa(n)+`}`)
		if page.IsError {
			t.Fatalf("page %d: %s", n, textOf(page))
		}
		body := textOf(page)
		if n := utf8.RuneCountInString(body); n > 4096 {
			t.Errorf("a page is %d characters, over the budget of 4096", n)
		}
		_, body, _ = strings.Cut(body, "\n")
		if i := strings.LastIndex(body, "\n[page "); i >= 0 {
			body = body[:i]
		} else {
			joined.WriteString(body)
			pages = n
			break
		}
		joined.WriteString(body)
	}
	if pages < 2 || !strings.HasPrefix(joined.String(), `{"size":60000,"payload":"composiotest payload`) || len(joined.String()) != 60000 {
		t.Errorf("%d pages joined into %d bytes: %.80s", pages, joined.Len(), joined.String())
	}
	if r := q(alice, `{"result":"`+id+`","page":99}`); !r.IsError || !strings.Contains(textOf(r), "no page 99") {
		t.Errorf("page 99: %s", textOf(r))
	}
	for name, args := range map[string]string{
		"another caller": `{"result":"` + id + `"}`,
		"unknown id":     `{"result":"0123456789abcdef0123456789abcdef"}`,
	} {
		h := alice
		if name == "another caller" {
			h = http.Header{"X-Caller": {"bob"}}
		}
		if r := q(h, args); !r.IsError || !strings.Contains(textOf(r), "No stored result") {
			t.Errorf("%s: %s", name, textOf(r))
		}
	}
	if r := q(alice, `{"result":"`+id+`","jq":".size |"}`); !r.IsError || !strings.Contains(textOf(r), "syntax error at line 1, column 7") {
		t.Errorf("bad filter: %s", textOf(r))
	}
	if r := q(alice, `{"result":"`+id+`","jq":".payload.x"}`); !r.IsError || !strings.Contains(textOf(r), `"payload" (string), "size" (number)`) {
		t.Errorf("failing filter: %s", textOf(r))
	}
}

// A bad filter sends nothing; a failing one keeps the whole response and
// shows the data's shape; one that keeps everything keeps nothing more.
func TestJQProxyOutcomes(t *testing.T) {
	t.Parallel()
	fake, call := jqSet(t, 4096)
	h := http.Header{"X-Caller": {"alice"}}
	res := call[ProxyExecuteName](h, `{"toolkit_slug":"github","endpoint":"/bytes/100","method":"GET","jq":".items[] | {id, name"}`)
	if !res.IsError || !strings.Contains(textOf(res), "nothing was sent") || !strings.Contains(textOf(res), "jq: syntax error at line 1, column") {
		t.Errorf("bad filter: %s", textOf(res))
	}
	if n := len(fake.ProxyRequests()); n != 0 {
		t.Errorf("a bad filter sent %d requests", n)
	}
	res = call[ProxyExecuteName](h, `{"toolkit_slug":"github","endpoint":"/bytes/100","method":"GET","jq":".size.x"}`)
	if !res.IsError || !strings.Contains(textOf(res), `"size" (number)`) || resultID.FindString(textOf(res)) == "" {
		t.Errorf("failing filter: %s", textOf(res))
	}
	res = call[ProxyExecuteName](h, `{"toolkit_slug":"github","endpoint":"/bytes/100","method":"GET","jq":"."}`)
	if res.IsError || strings.Contains(textOf(res), "jq filter") {
		t.Errorf("identity filter: %s", textOf(res))
	}
	// An error answer is not filtered: its body is what the model needs.
	res = call[ProxyExecuteName](h, `{"toolkit_slug":"github","endpoint":"/status/404","method":"GET","jq":".items"}`)
	if !res.IsError || !strings.Contains(textOf(res), "documentation_url") {
		t.Errorf("error answer: %s", textOf(res))
	}
}

func TestQueryResultGolden(t *testing.T) {
	t.Parallel()
	got, err := json.MarshalIndent(newQueryResult(newEnv(Config{})).Tool(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/query_result.golden.json", got)
}

func TestQueryResultWithoutStore(t *testing.T) {
	t.Parallel()
	var req mcp.CallToolRequest
	req.Params.RawArguments = json.RawMessage(`{"result":"x"}`)
	res, _ := newQueryResult(newEnv(Config{})).Handle(context.Background(), req)
	if !res.IsError || !strings.Contains(textOf(res), "keeps no results") {
		t.Errorf("%s", textOf(res))
	}
}
