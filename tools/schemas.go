package tools

import (
	"encoding/json"
	"reflect"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/schema"
)

//go:generate go test -run ^TestGeneratedSchemas$ -update-schemas .

// reflected returns the JSON Schema of v's type (a struct of this package), as
// schema.MustReflect does, but from schemas_gen.go when the type is there:
// reflecting the argument and result types took about 1 ms of every start,
// about a tenth of the time from spawn to the first tools/list answer.
// TestGeneratedSchemas keeps the generated copies equal to reflection.
func reflected(v any) schema.Object {
	if s, ok := generatedSchemas[reflect.TypeOf(v).Name()]; ok {
		var out schema.Object
		if err := json.Unmarshal([]byte(s), &out); err == nil {
			return out
		}
	}
	return schema.MustReflect(v)
}

// reflectedOneOf is schema.OneOf over reflected schemas.
func reflectedOneOf(description string, variants ...any) schema.Object {
	list := make([]any, 0, len(variants))
	for _, v := range variants {
		list = append(list, reflected(v))
	}
	out := schema.Object{"oneOf": list}
	if description != "" {
		out["description"] = description
	}
	return out
}
