// Package schema turns Go types into the JSON Schemas that MCP tools publish.
//
// It is the one place that knows github.com/invopop/jsonschema. Every schema it
// returns is an inline object: the root carries "type":"object" itself (no root
// $ref, no $defs), because strict MCP clients silently drop tools whose schema
// root is a reference. Schemas come back as plain maps so that callers can adjust
// them (narrow an enum, add a variant) without importing the reflector.
//
//	type args struct {
//		Name string `json:"name" jsonschema:"required" jsonschema_description:"Who to greet."`
//	}
//	s, err := schema.Reflect(args{})   // {"type":"object","properties":{"name":{…}},"required":["name"],…}
package schema

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
)

// Object is a JSON Schema as a generic JSON object.
type Object = map[string]any

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// reflector is shared: its configuration never changes after init, and Reflect
// only reads it.
var reflector = &jsonschema.Reflector{
	// Inline every type: no "$ref"/"$defs", so the root is the object itself.
	DoNotReference: true,
	// Fields are optional unless tagged `jsonschema:"required"`; omitempty alone
	// must not decide what a model is told it has to send.
	RequiredFromJSONSchemaTags: true,
	// json.RawMessage holds arbitrary JSON; left alone the reflector would
	// describe it as a base64 string.
	Mapper: func(t reflect.Type) *jsonschema.Schema {
		if t == rawMessageType {
			return &jsonschema.Schema{}
		}
		return nil
	},
}

// Reflect returns the JSON Schema of v's type (a struct or pointer to struct) as an
// inline object schema, with the "$schema" and "$id" keywords removed.
func Reflect(v any) (Object, error) {
	s := reflector.Reflect(v)
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding schema of %T: %w", v, err)
	}
	var out Object
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding schema of %T: %w", v, err)
	}
	delete(out, "$schema")
	delete(out, "$id")
	openSchemas(out)
	if out["type"] != "object" {
		return nil, fmt.Errorf("schema of %T: root is %v, want an object", v, out["type"])
	}
	return out, nil
}

// openSchemas replaces the boolean schema true, which the reflector emits for
// free-form values, by the equivalent {} wherever a property or item schema is
// expected: a few MCP clients reject boolean subschemas.
func openSchemas(s Object) {
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			if v == true {
				props[k] = Object{}
			} else if o, ok := v.(map[string]any); ok {
				openSchemas(o)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		openSchemas(items)
	} else if s["items"] == true {
		s["items"] = Object{}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if list, ok := s[key].([]any); ok {
			for _, v := range list {
				if o, ok := v.(map[string]any); ok {
					openSchemas(o)
				}
			}
		}
	}
}

// MustReflect is Reflect for types fixed at compile time; it panics on error.
func MustReflect(v any) Object {
	s, err := Reflect(v)
	if err != nil {
		panic(err)
	}
	return s
}

// OneOf returns a schema that accepts exactly one of the variants, each reflected
// from a Go value like Reflect.
func OneOf(description string, variants ...any) (Object, error) {
	list := make([]any, 0, len(variants))
	for _, v := range variants {
		s, err := Reflect(v)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	out := Object{"oneOf": list}
	if description != "" {
		out["description"] = description
	}
	return out, nil
}

// Property returns the schema of the named property of an object schema, or nil.
func Property(s Object, name string) Object {
	props, _ := s["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

// SetProperty sets the schema of the named property of an object schema.
func SetProperty(s Object, name string, p Object) {
	props, _ := s["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		s["properties"] = props
	}
	props[name] = p
}

// Marshal encodes a schema for use as a tool's raw input or output schema.
func Marshal(s Object) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return b, nil
}
