package tools

import (
	"encoding/json"
	"reflect"
	"testing"
)

// topMembers gives what json.Unmarshal into a map of raw members gives, for
// every object, and refuses what is not one.
func TestTopMembers(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":"x\"}y","b":[1,{"c":"]"}],"d":{"e":null},"f":true,"g":-1.5e3}`,
		"{\n \"next_cursor\" : \"abc\" ,\n \"items\" : [ ] \n}", `{"a":"\\"}`,
	} {
		got, ok := topMembers([]byte(in))
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{``, `[]`, `"x"`, `{"a"}`, `{"a":}`, `{"a":1`, `{"a":"x}`, `{a:1}`} {
		if _, ok := topMembers([]byte(in)); ok {
			t.Errorf("%q: accepted", in)
		}
	}
}

// BenchmarkTopMembers reads the cursor of a large page without copying it.
func BenchmarkTopMembers(b *testing.B) {
	items := make([]byte, 0, 4<<20)
	for len(items) < 4<<20 {
		items = append(items, `{"id":12345,"name":"a name of an item"},`...)
	}
	big := append(append([]byte(`{"next_cursor":"abc","items":[`), items[:len(items)-1]...), `]}`...)
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	for b.Loop() {
		if m, ok := topMembers(big); !ok || len(m) != 2 {
			b.Fatal("bad parse")
		}
	}
}
