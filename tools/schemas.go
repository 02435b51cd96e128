package tools

import (
	"encoding/json"
	"reflect"
)

//go:generate go test -run ^TestGeneratedSchemas$ -update-schemas .

// The tools' JSON Schemas are reflected from Go types by the schema package
// when the code is generated (go generate ./tools), not at run time: the
// server neither reflects (about 1 ms of every start) nor links the reflector.
// schemas_gen.go holds each schema's compact bytes, by type name for the
// types and by the names below for the schemas assembled from them; a tool
// uses them as they are and decodes one only when its configuration edits it.
// TestGeneratedSchemas keeps the file equal to reflection.

// The assembled schemas of schemas_gen.go.
const (
	// policyFreeInputName is proxy_execute's input schema before the policy
	// and the features edit it (policyFreeInput).
	policyFreeInputName = "proxy_execute input"
	// defaultInputName is that schema as the zero Config edits it (editInput).
	defaultInputName = "proxy_execute input, default policy"
	// cutOutputName is proxy_execute's output schema when results are cut
	// (cutOutput).
	cutOutputName = "proxy_execute output, cut results"
)

// schemaOf gives the JSON Schema of a Go type as a fresh map the caller may
// edit: schema.MustReflect in the generator, reflected at run time.
type schemaOf func(v any) map[string]any

// generatedSchema returns the bytes schemas_gen.go holds under name. A name
// it does not hold is a bug, which TestToolsNeedNoReflection catches.
func generatedSchema(name string) json.RawMessage {
	s, ok := generatedSchemas[name]
	if !ok {
		panic("tools: no generated schema " + name + ": run go generate ./tools")
	}
	return json.RawMessage(s)
}

// mustSchema returns the schema of v's type (a struct of this package) as
// bytes, to use as a tool's input or output schema unchanged.
func mustSchema(v any) json.RawMessage {
	return generatedSchema(reflect.TypeOf(v).Name())
}

// reflected returns the schema of v's type (a struct of this package) as a
// fresh map, for the features that edit a schema.
func reflected(v any) map[string]any {
	return decodeSchema(mustSchema(v))
}

// decodeSchema decodes generated schema bytes, which are valid JSON objects.
func decodeSchema(b []byte) map[string]any {
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// encodeSchema encodes an edited schema; it holds only JSON values.
func encodeSchema(s map[string]any) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // built from decoded JSON and strings: a failure is a bug
	}
	return b
}

// property returns the schema of the named property of an object schema, or
// nil.
func property(s map[string]any, name string) map[string]any {
	props, _ := s["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

// addProperty sets the schema of the named property of an object schema;
// every generated object schema has a "properties" member.
func addProperty(s map[string]any, name string, p map[string]any) {
	s["properties"].(map[string]any)[name] = p
}
