package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// firstText is a result's first text block.
func firstText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		t.Fatalf("first content is %T", res.Content[0])
	}
	return tc.Text
}

// sizedResult calls with a response whose uncut text is exactly chars
// characters long (padded with é, two bytes each: the budget counts
// characters, not bytes).
func sizedResult(t *testing.T, status, chars int) (*mcp.CallToolResult, int) {
	t.Helper()
	cfg := Config{MaxResultBytes: DefaultMaxResultBytes, Results: results.New(results.Config{})}
	build := func(pad int) *client.ProxyResponse {
		return &client.ProxyResponse{Status: status, Data: json.RawMessage(`{"id":1,"bio":"` + strings.Repeat("é", pad) + `"}`)}
	}
	frame := utf8.RuneCountInString(firstText(t, call(t, testProxy(&fakeExecutor{resp: build(0)}, "trs_test", cfg), getUser)))
	return call(t, testProxy(&fakeExecutor{resp: build(chars - frame)}, "trs_test", cfg), getUser), chars
}

func TestBudgetBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status, chars int
		cut           bool
	}{
		{200, 39999, false}, {200, 40000, false}, {200, 40001, true}, {200, 120000, true},
		{404, 9999, false}, {404, 10000, false}, {404, 10001, true}, {404, 50000, true},
	} {
		res, _ := sizedResult(t, tc.status, tc.chars)
		txt := firstText(t, res)
		n := utf8.RuneCountInString(txt)
		limit := DefaultMaxResultBytes
		if tc.status >= 400 {
			limit = maxErrorChars
		}
		sc, _ := json.Marshal(res.StructuredContent)
		var got struct {
			Data      json.RawMessage  `json:"data"`
			Truncated *truncatedOutput `json:"truncated"`
		}
		if err := json.Unmarshal(sc, &got); err != nil {
			t.Fatal(err)
		}
		switch {
		case !tc.cut && (n != tc.chars || got.Truncated != nil):
			t.Errorf("HTTP %d, %d characters: cut to %d (%+v)", tc.status, tc.chars, n, got.Truncated)
		case tc.cut && (n > limit || got.Truncated == nil || got.Truncated.Result == ""):
			t.Errorf("HTTP %d, %d characters: %d characters, over %d, or not marked (%+v)", tc.status, tc.chars, n, limit, got.Truncated)
		case tc.cut && (!json.Valid(got.Data) || !strings.Contains(txt, string(sc)) || n < limit*9/10):
			t.Errorf("HTTP %d, %d characters: text of %d characters does not carry the structured content, or wastes the budget", tc.status, tc.chars, n)
		}
		if tc.cut && tc.status >= 400 && (!strings.HasPrefix(txt, "github GET /user → HTTP 404 Not Found\nThe github API answered with an error") || !strings.Contains(txt, "Hint: check the endpoint")) {
			t.Errorf("a cut error does not keep its head first: %.300s", txt)
		}
		if tc.cut && len(sc) > len(txt) {
			t.Errorf("structuredContent (%d bytes) carries more than the text (%d)", len(sc), len(txt))
		}
	}
}

// TestBudgetZeroNeverCuts: --max-result-bytes 0 returns everything whole.
func TestBudgetZeroNeverCuts(t *testing.T) {
	t.Parallel()
	data := `"` + strings.Repeat("x", 200000) + `"`
	res := call(t, testProxy(&fakeExecutor{resp: &client.ProxyResponse{Status: 404, Data: json.RawMessage(data)}}, "trs_test", Config{}), getUser)
	if txt := firstText(t, res); !strings.HasSuffix(txt, data+`}`) {
		t.Errorf("text cut: %d bytes", len(txt))
	}
}

// TestErrorTextCap: a failure text over the isError budget keeps its head
// (what failed) and its tail (what to do).
func TestErrorTextCap(t *testing.T) {
	t.Parallel()
	err := &client.APIError{HTTPStatus: 400, Slug: "ActionExecute_ValidationError", Message: "Invalid request", Body: strings.Repeat("ü", 30000), SuggestedFix: "Fix it", RequestID: "req_1"}
	txt := ErrorText(err)
	if n := utf8.RuneCountInString(txt); n > maxErrorChars || n < maxErrorChars-10 {
		t.Errorf("error text is %d characters", n)
	}
	for _, want := range []string{"Composio refused the call (HTTP 400 ActionExecute_ValidationError): Invalid request", "Suggested fix: Fix it", "Request ID: req_1", "characters of this error cut here"} {
		if !strings.Contains(txt, want) {
			t.Errorf("error text lacks %q", want)
		}
	}
	if !utf8.ValidString(txt) {
		t.Error("not valid UTF-8")
	}
	if short := ErrorText(errors.New("boom")); strings.Contains(short, "cut here") {
		t.Errorf("short error cut: %s", short)
	}
}
