package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const jqSample = `{"total_count":2,"items":[{"id":1,"name":"a","html_url":"https://x/a","big":12345678901234567890},{"id":2,"name":"b","html_url":"https://x/b"}]}`

func runJQ(t *testing.T, src, data string) (string, error) {
	t.Helper()
	f, err := compileJQ(src)
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	out, err := f.run(context.Background(), []byte(data), nil)
	return string(out), err
}

func TestJQOutputs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, want string }{
		{`.total_count`, `2`},
		{`.items[] | {id, name}`, `[{"id":1,"name":"a"},{"id":2,"name":"b"}]`}, // several: an array
		{`[.items[] | .name] | .[:1]`, `["a"]`},
		{`.items[] | select(.id > 5)`, `[]`},      // none: an empty array
		{`.items[0].big`, `12345678901234567890`}, // numbers kept exact
		{`$ENV | length`, `0`},                    // no environment
		{`1, halt`, `1`},
	} {
		got, err := runJQ(t, c.src, jqSample)
		if err != nil || got != c.want {
			t.Errorf("%s = %s, %v; want %s", c.src, got, err, c.want)
		}
	}
}

func TestJQSyntaxErrorNamesPosition(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`.items[] | {id, name`:    "line 1, column 20",
		".items[]\n| {id,, name}": "line 2, column 7",
		`.items[}`:                "line 1, column 8",
	} {
		_, err := compileJQ(src)
		if err == nil || !strings.Contains(err.Error(), "syntax error at "+want) || !strings.Contains(err.Error(), "^") {
			t.Errorf("%q: %v; want the position %s with a caret", src, err, want)
		}
	}
	if _, err := compileJQ(`nosuchfunc(1)`); err == nil || !strings.Contains(err.Error(), "nosuchfunc/1") {
		t.Errorf("undefined function: %v", err)
	}
}

func TestJQRuntimeErrorShowsShape(t *testing.T) {
	t.Parallel()
	_, err := runJQ(t, `.items.name`, jqSample)
	var re *jqRunError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"expected an object but got: array", `"items" (array of 2)`, `"total_count" (number)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: missing %q", err, want)
		}
	}
	_, err = runJQ(t, `.[0].x.y`, `[{"x":"s","n":null}]`)
	if err == nil || !strings.Contains(err.Error(), `an array of 1 items; the first is object with keys "n" (null), "x" (string)`) {
		t.Errorf("array shape: %v", err)
	}
}

// A runaway filter ends with a bound error, promptly, whatever it does:
// outputs without end, one value without end, or one huge value.
func TestJQRunawayBounded(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`range(1e9)`:              "outputs",
		`repeat(.)`:               "output passed",
		`[range(1e7)]`:            "stopped",
		`[.[] | tostring] | add`:  "",
		`last(range(1e12))`:       "ran longer",
		`[limit(200; repeat(.))]`: "output passed",
	} {
		f, err := compileJQ(src)
		if err != nil {
			t.Fatal(err)
		}
		f.timeLimit, f.maxBytes, f.maxOuts = 300*time.Millisecond, 1<<20, 1000
		f.maxSteps = 1 << 62 // the time bound is the one tested here
		data := `[` + strings.Repeat(`"0123456789",`, 999) + `"x"]`
		start := time.Now()
		_, err = f.run(context.Background(), []byte(data), nil)
		var be *jqBoundError
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", src, err)
			}
			continue
		}
		if !errors.As(err, &be) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a bound error saying %q", src, err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s", src, d)
		}
	}
}

// The default bounds stop [range(1e7)] too: its output is far over 8 MiB.
func TestJQDefaultOutputCap(t *testing.T) {
	t.Parallel()
	_, err := runJQ(t, `[range(1e7)]`, `null`)
	var be *jqBoundError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v", err)
	}
}

func TestJQCancelled(t *testing.T) {
	t.Parallel()
	f, _ := compileJQ(`last(range(1e12))`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.run(ctx, []byte(`null`), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkJQ is the time jq adds to a call on a 256 KiB answer: decoding
// it, running a typical narrowing filter, encoding the outputs.
func BenchmarkJQ(b *testing.B) {
	var items []map[string]any
	for i := 0; len(items) < 1<<20; i++ {
		items = append(items, map[string]any{"id": i, "name": fmt.Sprintf("repo-%d", i), "html_url": fmt.Sprintf("https://github.com/o/repo-%d", i),
			"description": strings.Repeat("words ", 20), "stargazers_count": i * 3, "private": i%2 == 0,
			"owner": map[string]any{"login": "o", "id": 7, "type": "User"}})
		if raw, _ := json.Marshal(map[string]any{"items": items}); len(raw) >= 256<<10 {
			break
		}
	}
	data, _ := json.Marshal(map[string]any{"total_count": len(items), "items": items})
	f, err := compileJQ(`[.items[] | {id, name, html_url}]`)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.run(context.Background(), data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// A filter that builds a value nested millions deep is stopped by its step
// bound before gojq's recursive encoders would overflow the stack (which
// kills the process), and an output nested past jqMaxDepth is refused
// before anything encodes it.
func TestJQDeepValuesBounded(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`reduce range(3000000) as $i (null; [.])`:          "steps",
		`reduce range(3000000) as $i (null; [.]) | tojson`: "steps",
		`reduce range(20000) as $i (null; [.])`:            "nested more than 10000 levels",
		`reduce range(20000) as $i (null; {a: .})`:         "nested more than 10000 levels",
	} {
		_, err := runJQ(t, src, `null`)
		var be *jqBoundError
		// A slow machine (or -race) may reach the time limit first: either
		// bound ends the run before the value is deep enough to harm.
		if !errors.As(err, &be) || !strings.Contains(err.Error(), want) && !strings.Contains(err.Error(), "ran longer") {
			t.Errorf("%s: %v; want a bound error saying %q", src, err, want)
		}
	}
}

// At most cap(slots) filters run at once: a run that finds no place within
// its time limit says so, and a place given back is taken again.
func TestJQSlots(t *testing.T) {
	t.Parallel()
	f, err := compileJQ(`.`)
	if err != nil {
		t.Fatal(err)
	}
	f.timeLimit = 100 * time.Millisecond
	slots := make(jqSlots, 1)
	slots <- struct{}{} // another run holds the one place
	_, err = f.run(context.Background(), []byte(`1`), slots)
	var be *jqBoundError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "at most 1 run at once") {
		t.Fatalf("err = %v; want the wait to be said", err)
	}
	<-slots
	if out, err := f.run(context.Background(), []byte(`1`), slots); err != nil || string(out) != "1" {
		t.Fatalf("after the place was freed: %s, %v", out, err)
	}
	if len(slots) != 0 {
		t.Errorf("the run kept its place: %d taken", len(slots))
	}
}
