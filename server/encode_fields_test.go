package server

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// appendToolResponse writes mcp-go's types by listing their fields. These
// are the fields it knows, each with what it does with it; a field mcp-go
// adds later is in none of them, and TestEncoderKnowsEveryField fails until
// it is added here and to the encoder (written, or a reason to fall back to
// json.Marshal), instead of being dropped from answers without a word.
func encodedFields() map[reflect.Type]map[string]string {
	return map[reflect.Type]map[string]string{
		reflect.TypeFor[mcp.JSONRPCResponse](): {
			"JSONRPC": "written",
			"ID":      "written",
			"Result":  "a *CallToolResult or CallToolResult takes the fast path",
		},
		reflect.TypeFor[mcp.CallToolResult](): {
			"Result.Meta":                        "falls back",
			"Result.ResultType":                  "falls back",
			"MultiRoundTripResult.InputRequests": "falls back",
			"MultiRoundTripResult.RequestState":  "falls back",
			"Content":                            "written",
			"StructuredContent":                  "written when compact raw JSON, else falls back",
			"RawStructuredContent":               "falls back",
			"IsError":                            "written",
		},
		reflect.TypeFor[mcp.TextContent](): {
			"Annotated.Annotations": "the block goes to json.Marshal",
			"Meta":                  "the block goes to json.Marshal",
			"Type":                  "written",
			"Text":                  "written",
		},
	}
}

// marshalers are the types the encoder writes by hand, with whether they
// have a MarshalJSON: the encoder copies CallToolResult.MarshalJSON's output,
// and encodes the others as encoding/json does their fields.
func marshalers() map[reflect.Type]bool {
	return map[reflect.Type]bool{
		reflect.TypeFor[mcp.JSONRPCResponse](): false,
		reflect.TypeFor[mcp.CallToolResult]():  true,
		reflect.TypeFor[mcp.TextContent]():     false,
	}
}

// fieldPaths lists t's fields, those of embedded structs as
// "Embedded.Field", as encoding/json would see them.
func fieldPaths(t reflect.Type) []string {
	var paths []string
	for f := range t.Fields() {
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for _, p := range fieldPaths(f.Type) {
				paths = append(paths, f.Name+"."+p)
			}
			continue
		}
		paths = append(paths, f.Name)
	}
	return paths
}

// fieldsDiffer returns the fields in have and not in known (unknown to the
// encoder) and those in known and not in have (gone from mcp-go).
func fieldsDiffer(have []string, known map[string]string) (unknown, gone []string) {
	for _, f := range have {
		if _, ok := known[f]; !ok {
			unknown = append(unknown, f)
		}
	}
	for f := range known {
		if !slices.Contains(have, f) {
			gone = append(gone, f)
		}
	}
	slices.Sort(gone)
	return unknown, gone
}

func TestEncoderKnowsEveryField(t *testing.T) {
	t.Parallel()
	marshaler := reflect.TypeFor[json.Marshaler]()
	for typ, known := range encodedFields() {
		unknown, gone := fieldsDiffer(fieldPaths(typ), known)
		for _, f := range unknown {
			t.Errorf("%s.%s is not known to appendToolResponse: write it, or fall back to json.Marshal when it is set, and list it in encodedFields", typ, f)
		}
		for _, f := range gone {
			t.Errorf("%s.%s is listed in encodedFields but mcp-go no longer has it", typ, f)
		}
		if got := typ.Implements(marshaler); got != marshalers()[typ] {
			t.Errorf("%s implements json.Marshaler: %v, the encoder assumes %v", typ, got, marshalers()[typ])
		}
	}
}

// TestFieldsDifferFindsANewField holds the check above to failing: a field
// mcp-go might add is reported.
func TestFieldsDifferFindsANewField(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[mcp.CallToolResult]()
	have := append(fieldPaths(typ), "Result.Fake")
	unknown, gone := fieldsDiffer(have, encodedFields()[typ])
	if !slices.Equal(unknown, []string{"Result.Fake"}) || len(gone) != 0 {
		t.Errorf("unknown %v, gone %v; want [Result.Fake] and none", unknown, gone)
	}
}
