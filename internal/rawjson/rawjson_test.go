package rawjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestIsCompact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		`{"a":1,"b":[true,null,"x"]}`:  true,
		`"plain"`:                      true,
		`""`:                           true,
		`{"a":"\"<\\"}`:                false, // a < inside the string
		`{"a":"\\u003c\\\"q\\\\"}`:     true,
		`{"a": 1}`:                     false,
		"{\"a\":1}\n":                  false,
		`{"a":"x y\tz"}`:               true, // inside strings whitespace is data
		"{\"a\":\"\u2029\"}":           false,
		"{\"a\":\"\u2028\"}":           false,
		"{\"a\":\"\u2027\u202a\"}":     true,
		`{"a":"&"}`:                    false,
		`{"a":">"}`:                    false,
		`{"a":"unterminated`:           false,
		`{"a":1`:                       false,
		`[1,2]]`:                       false,
		`{"a":"}"`:                     false,
		`"ends in backslash\\"`:        true,
		`"escaped quote \" then <"`:    false,
		`{"k":"back\\\\","l":"<"}`:     false,
		strings.Repeat(`[`, 3) + `]]]`: true,
	} {
		if got := IsCompact([]byte(in)); got != want {
			t.Errorf("IsCompact(%s) = %v, want %v", in, got, want)
		}
	}
}

// FuzzIsCompact checks IsCompact against its definition: valid JSON that
// encoding/json would leave as it is.
func FuzzIsCompact(f *testing.F) {
	for _, s := range []string{`{"a":[1,"<"]}`, `"x\u2028"`, `{ "a" : 1 }`, `"\\\""`, `[{"k":"é"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return
		}
		out, err := json.Marshal(json.RawMessage(v))
		if err != nil {
			t.Fatal(err)
		}
		if want := bytes.Equal(out, v); IsCompact(v) != want {
			t.Errorf("IsCompact(%q) = %v, but encoding/json writes %q", v, !want, out)
		}
	})
}

func BenchmarkIsCompact(b *testing.B) {
	long := []byte(`{"payload":"` + strings.Repeat("composiotest payload 0123456789 ", 8<<10) + `"}`)
	var items []string
	for range 4 << 10 {
		items = append(items, `{"id":12345,"name":"octo","tags":["a","b"],"ok":true}`)
	}
	many := []byte("[" + strings.Join(items, ",") + "]")
	for name, v := range map[string][]byte{"one-long-string": long, "many-small-values": many} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				if !IsCompact(v) {
					b.Fatal("not compact")
				}
			}
		})
	}
}
