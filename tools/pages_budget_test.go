package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// A cut answer that has a next page stays within the budget, the page note
// included: the shaping leaves room for the note that follows it.
func TestPageNoteWithinBudget(t *testing.T) {
	t.Parallel()
	fake, c := fakeBackend(t)
	session := fake.CorpusSession()
	set, err := New(Config{Client: c, Sessions: FixedSession(session), MaxResultBytes: DefaultMaxResultBytes, Results: results.New(results.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range composiotest.Corpus() {
		if a.Method != "GET" {
			continue
		}
		args, _ := json.Marshal(map[string]any{"toolkit_slug": a.Toolkit, "endpoint": a.Endpoint, "method": a.Method})
		var req mcp.CallToolRequest
		req.Params.RawArguments = args
		res, err := set.Tools()[0].Handler(testContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		txt := textOf(res)
		if n := utf8.RuneCountInString(txt); n > DefaultMaxResultBytes {
			t.Errorf("%s: %d characters, over the budget of %d", a.Name, n, DefaultMaxResultBytes)
		}
		if a.Name != "gmail message" && !strings.Contains(txt, "Next page (") { // one message has no pages
			t.Errorf("%s: no next-page hint:\n%.300s", a.Name, txt)
		}
	}
}
