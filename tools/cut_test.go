package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkPages holds cutPoints to its contract: pages join into data exactly,
// none is longer than limit, none starts inside a rune or (for JSON) inside
// an escape sequence, and each is valid UTF-8 when data is.
func checkPages(t *testing.T, data []byte, limit int, isJSON bool) []int {
	t.Helper()
	starts := cutPoints(data, limit, isJSON)
	if len(starts) == 0 || starts[0] != 0 {
		t.Fatalf("starts = %v, want a first page at 0", starts)
	}
	var joined []byte
	for i, s := range starts {
		end := len(data)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if end <= s {
			t.Fatalf("page %d is empty or backwards: %v", i+1, starts)
		}
		page := data[s:end]
		if len(page) > max(limit, minCutLimit) {
			t.Errorf("page %d is %d bytes, over the limit %d", i+1, len(page), limit)
		}
		if utf8.Valid(data) && !utf8.Valid(page) {
			t.Errorf("page %d is not valid UTF-8: %q", i+1, page)
		}
		if isJSON && s > 0 {
			var st cutState
			for _, c := range data[:s] {
				st.consume(c)
			}
			if st.esc != 0 {
				t.Errorf("page %d starts inside an escape sequence: …%q|%q…", i+1, data[max(0, s-6):s], data[s:min(len(data), s+6)])
			}
		}
		joined = append(joined, page...)
	}
	if !bytes.Equal(joined, data) {
		t.Fatalf("pages do not join into the data")
	}
	return starts
}

func TestCutPointsPrefersElementBoundaries(t *testing.T) {
	t.Parallel()
	var items []map[string]any
	for i := range 200 {
		items = append(items, map[string]any{"id": i, "name": fmt.Sprintf("item-%03d", i), "note": "çà et là — ✓"})
	}
	data, _ := json.Marshal(map[string]any{"status": 200, "data": map[string]any{"items": items}})
	starts := checkPages(t, data, 1000, true)
	if len(starts) < 5 {
		t.Fatalf("only %d pages", len(starts))
	}
	for _, s := range starts[1:] {
		if data[s-1] != ',' {
			t.Errorf("page starting at %d does not follow an element boundary: …%q|%q…", s, data[s-10:s], data[s:s+10])
		}
	}
}

func TestCutPointsInsideLongString(t *testing.T) {
	t.Parallel()
	// One long JSON string full of escapes and multi-byte runes: no element
	// boundary anywhere, so cuts fall at \n escapes or clean rune starts.
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "line %d: é☃😀 \"quoted\" \\ back\u00e9\n", i)
	}
	data, _ := json.Marshal(map[string]any{"data": b.String()})
	starts := checkPages(t, data, 777, true)
	lines := 0
	for _, s := range starts[1:] {
		if bytes.HasSuffix(data[:s], []byte(`\n`)) {
			lines++
		}
	}
	if lines < len(starts)/2 {
		t.Errorf("only %d of %d cuts follow a \\n escape", lines, len(starts)-1)
	}
	// Escapes that json.Marshal does not produce but other encoders do.
	checkPages(t, []byte(`{"s":"`+strings.Repeat(`\u00e9\ud83d\ude00\"\\\/`, 500)+`"}`), 100, true)
}

func TestCutPointsText(t *testing.T) {
	t.Parallel()
	text := []byte(strings.Repeat("Grüße aus Köln — ligne ☃\n", 400))
	starts := checkPages(t, text, 500, false)
	for _, s := range starts[1:] {
		if text[s-1] != '\n' {
			t.Errorf("text page at %d does not start a line", s)
		}
	}
	// No line breaks at all: cuts only at rune starts.
	checkPages(t, []byte(strings.Repeat("😀é", 1000)), 101, false)
	// Small data is one page.
	if got := cutPoints([]byte("short"), 100, false); len(got) != 1 {
		t.Errorf("short data: %v", got)
	}
}

func FuzzCutPoints(f *testing.F) {
	f.Add([]byte(`{"a":[1,2,3],"b":"x\u00e9y\n\"z\""}`), 7, true)
	f.Add([]byte("héllo wörld\nsecond ☃ line\n"), 5, false)
	f.Add([]byte{0xff, 0xfe, 'a', 0xc3, 0xa9, '\\', 'u'}, 3, true)
	f.Fuzz(func(t *testing.T, data []byte, limit int, isJSON bool) {
		if limit < 1 || limit > 1<<16 || len(data) == 0 {
			return
		}
		checkPages(t, data, limit, isJSON)
	})
}
