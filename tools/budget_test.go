package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// items is a JSON array of n objects of about 60 bytes each.
func items(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"repository-%04d","private":false}`, i, i)
	}
	b.WriteByte(']')
	return b.String()
}

// checkCut holds what every cut must: within budget, valid JSON when the
// input is, and the sizes said right.
func checkCut(t *testing.T, in string, budget int) ([]byte, cutInfo) {
	t.Helper()
	shown, info := cutJSON([]byte(in), budget)
	if len(shown) > budget {
		t.Fatalf("shown %d bytes, over the budget of %d", len(shown), budget)
	}
	if json.Valid([]byte(in)) && !json.Valid(shown) {
		t.Fatalf("shown is not valid JSON: %s", shown)
	}
	if !utf8.Valid(shown) && utf8.ValidString(in) {
		t.Fatalf("shown is not valid UTF-8: %q", shown)
	}
	if info.TotalBytes != len(in) || info.ShownBytes != len(shown) {
		t.Errorf("info = %+v for %d bytes in, %d shown", info, len(in), len(shown))
	}
	return shown, info
}

func TestCutJSONArrayAtWholeItems(t *testing.T) {
	in := items(500)
	shown, info := checkCut(t, in, 4000)
	var got []map[string]any
	if err := json.Unmarshal(shown, &got); err != nil {
		t.Fatal(err)
	}
	if info.TotalItems != 500 || info.ShownItems != len(got) || info.Path != "." || len(got) < 60 {
		t.Errorf("info = %+v, %d items shown", info, len(got))
	}
	if !strings.HasPrefix(in, string(shown[:len(shown)-1])) {
		t.Errorf("the items shown are not the first ones whole: %.200s", shown)
	}
}

func TestCutJSONNestedArrays(t *testing.T) {
	in := `{"total_count":500,"data":{"repos":` + items(500) + `,"tags":["a","b"]}}`
	shown, info := checkCut(t, in, 3000)
	if info.Path != ".data.repos" || info.TotalItems != 500 || info.ShownItems < 10 {
		t.Errorf("info = %+v", info)
	}
	var got struct {
		Total int `json:"total_count"`
		Data  struct {
			Repos []any    `json:"repos"`
			Tags  []string `json:"tags"`
		}
	}
	if err := json.Unmarshal(shown, &got); err != nil || got.Total != 500 || len(got.Data.Tags) != 2 || len(got.Data.Repos) != info.ShownItems {
		t.Errorf("shown %s (%v)", shown, err)
	}
	// An array of one array: the inner one is cut.
	_, info = checkCut(t, `[`+items(200)+`]`, 2000)
	if info.Path != ".[0]" || info.TotalItems != 200 {
		t.Errorf("array in array: info = %+v", info)
	}
}

func TestCutJSONObjectKeepsKeysAndShortensLongValues(t *testing.T) {
	body := strings.Repeat("Lorem ipsum dolor sit amet. ", 2000)
	in := fmt.Sprintf(`{"id":"m1","subject":"Hello","body":%q,"snippet":"short","labels":["INBOX"]}`, body)
	shown := string(must(checkCut(t, in, 5000)))
	var got map[string]any
	if err := json.Unmarshal([]byte(shown), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "subject", "body", "snippet", "labels"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %s dropped: %s", k, shown)
		}
	}
	if got["subject"] != "Hello" || got["snippet"] != "short" {
		t.Errorf("short values changed: %s", shown)
	}
	b := got["body"].(string)
	if !strings.HasPrefix(body, strings.TrimSuffix(b, fmt.Sprintf("…[cut: %d bytes in all]", len(body)))) || !strings.Contains(b, fmt.Sprintf("[cut: %d bytes in all]", len(body))) || len(b) < 4000 {
		t.Errorf("body shown as %d bytes: %.100s…%s", len(b), b, b[max(len(b)-40, 0):])
	}
}

func must(b []byte, _ cutInfo) []byte { return b }

func TestCutJSONDeepObjects(t *testing.T) {
	in := `"x"`
	for i := range 200 {
		in = fmt.Sprintf(`{"level%d":%s,"pad":%q}`, i, in, strings.Repeat("p", 30))
	}
	shown := must(checkCut(t, in, 1000))
	if s := string(shown); !strings.Contains(s, `[cut: object of 2 keys]`) || !strings.HasPrefix(s, `{"level199":{"level198":`) {
		t.Errorf("shown %s", shown)
	}
}

func TestCutJSONTopLevelString(t *testing.T) {
	in := `"` + strings.Repeat("é", 5000) + `"`
	shown := must(checkCut(t, in, 1001))
	var s string
	if err := json.Unmarshal(shown, &s); err != nil || !strings.HasPrefix(s, "éé") || !strings.HasSuffix(s, "[cut: 10000 bytes in all]") || len(shown) < 990 {
		t.Errorf("shown %d bytes: %q (%v)", len(shown), shown, err)
	}
	// Escapes are never split, surrogate pairs neither.
	in = `"` + strings.Repeat(`\ud83d\ude00\n`, 300) + `"`
	for budget := 60; budget < 90; budget++ {
		shown := must(checkCut(t, in, budget))
		var s string
		if err := json.Unmarshal(shown, &s); err != nil || strings.ContainsRune(s, utf8.RuneError) {
			t.Errorf("budget %d: %q (%v)", budget, shown, err)
		}
	}
}

func TestCutJSONText(t *testing.T) {
	in := strings.Repeat("plain text, ü ", 100)
	shown, info := checkCut(t, in, 101)
	if !utf8.Valid(shown) || !strings.HasPrefix(in, string(shown)) || len(shown) < 99 || info.TotalItems != 0 {
		t.Errorf("shown %q, %+v", shown, info)
	}
}

func TestCutJSONAtTheBudget(t *testing.T) {
	in := items(10)
	shown, info := checkCut(t, in, len(in))
	if string(shown) != in || info.cut() {
		t.Errorf("exactly at the budget: cut to %s, %+v", shown, info)
	}
	shown, info = checkCut(t, in, len(in)-1)
	if info.ShownItems != 9 || info.TotalItems != 10 || !info.cut() {
		t.Errorf("one over: %s, %+v", shown, info)
	}
	// Whitespace is not kept in a cut.
	pretty, _ := json.MarshalIndent(json.RawMessage(in), "", "  ")
	shown, info = checkCut(t, string(pretty), len(in))
	if string(shown) != in || info.TotalItems != 0 {
		t.Errorf("indented input: %s, %+v", shown, info)
	}
}

func FuzzCutJSON(f *testing.F) {
	for _, s := range []string{items(30), `{"a":"` + strings.Repeat("ab\\n", 50) + `","b":[1,2,3,[4,5,[6]]]}`, `"\u00e9\ud83d\ude00 text"`, `[[[[[]]]]]`, `{"":{"":""}}`, `12345678901234567890`, `not json`} {
		f.Add(s, 40)
	}
	f.Fuzz(func(t *testing.T, in string, budget int) {
		budget = 4 + abs(budget)%2000
		shown, _ := cutJSON([]byte(in), budget)
		if len(shown) > budget {
			t.Fatalf("%d bytes over a budget of %d", len(shown), budget)
		}
		if json.Valid([]byte(in)) && !json.Valid(shown) {
			t.Fatalf("invalid JSON out: %q", shown)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// BenchmarkCutJSON cuts 256 KiB answers to the default budget: a list of
// items, and one message with long bodies in nested parts.
func BenchmarkCutJSON(b *testing.B) {
	var parts []string
	for i := range 40 {
		parts = append(parts, fmt.Sprintf(`{"partId":"%d","body":{"data":%q},"headers":[{"name":"a","value":"b"},{"name":"c","value":"d"}]}`, i, strings.Repeat("QUJD", 1600)))
	}
	for name, in := range map[string]string{
		"items":   items(4400),
		"message": `{"id":"m","payload":{"parts":[` + strings.Join(parts, ",") + `]}}`,
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				cutJSON([]byte(in), DefaultMaxResultBytes)
			}
		})
	}
}
