package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

// TestBudgetCutsArrayAtWholeItems: with the default budget, a large array
// answer comes back cut at whole items, valid JSON in structuredContent and
// in the text, which stays under 40,000 characters and names the stored
// result's id and the ways to the rest.
func TestBudgetCutsArrayAtWholeItems(t *testing.T) {
	t.Parallel()
	c := featureClient(t, backend(t), nil)
	// The fake echoes the body it is sent: data.body.repositories is the
	// large array.
	var items []string
	for i := range 2000 {
		items = append(items, fmt.Sprintf(`{"id":%d,"full_name":"octo/repo-%04d","private":false,"html_url":"https://github.com/octo/repo-%04d"}`, i, i, i))
	}
	res := featureCall(t, c, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"total_count":2000,"repositories":[`+strings.Join(items, ",")+`]}}`, nil)
	txt := resultText(res)
	if res.IsError || utf8.RuneCountInString(txt) > 40000 {
		t.Fatalf("isError %v, %d characters:\n%.1500s", res.IsError, utf8.RuneCountInString(txt), txt)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var sc struct {
		Data struct {
			Body struct {
				Repositories []json.RawMessage `json:"repositories"`
			} `json:"body"`
		} `json:"data"`
		Truncated struct {
			TotalItems int      `json:"total_items"`
			ShownItems int      `json:"shown_items"`
			ItemsPath  string   `json:"items_path"`
			Result     string   `json:"result"`
			Resource   string   `json:"resource"`
			GetMore    []string `json:"get_more"`
		} `json:"truncated"`
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("structuredContent %.500s: %v", b, err)
	}
	tr := sc.Truncated
	if tr.TotalItems != 2000 || tr.ShownItems != len(sc.Data.Body.Repositories) || tr.ShownItems < 10 || tr.ItemsPath != ".body.repositories" || tr.Result == "" || tr.Resource != "composio-proxy://results/"+tr.Result || len(tr.GetMore) != 3 {
		t.Fatalf("truncated = %+v, %d items in data", tr, len(sc.Data.Body.Repositories))
	}
	for i, item := range sc.Data.Body.Repositories {
		var m map[string]any
		if json.Unmarshal(item, &m) != nil || m["id"] != float64(i) {
			t.Fatalf("item %d is not whole: %s", i, item)
		}
	}
	inText := txt[strings.LastIndex(txt, "\n")+1:]
	if !sameJSON(inText, string(b)) {
		t.Errorf("the text's JSON differs from structuredContent:\n%.300s\n%.300s", inText, b)
	}
	for _, want := range []string{fmt.Sprintf("showing %d of 2000 items of .body.repositories", tr.ShownItems), fmt.Sprintf(`query_result {"result": %q, "page": 2}`, tr.Result), `"jq"`, "pagination"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	var link bool
	for _, ct := range res.Content {
		if l, ok := ct.(mcp.ResourceLink); ok && l.URI == tr.Resource {
			link = true
		}
	}
	if !link {
		t.Error("no resource_link to the stored result")
	}
}
