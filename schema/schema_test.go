package schema

import (
	"encoding/json"
	"reflect"
	"testing"
)

type variantURL struct {
	URL string `json:"url" jsonschema:"required,format=uri"`
}

type variantData struct {
	Data string `json:"data" jsonschema:"required"`
}

type sample struct {
	Name    string            `json:"name" jsonschema:"required,minLength=1" jsonschema_description:"A name, with a comma."`
	Method  string            `json:"method" jsonschema:"required,enum=GET,enum=POST"`
	Body    json.RawMessage   `json:"body,omitempty" jsonschema:"oneof_type=object;null"`
	Any     any               `json:"any,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Old     map[string]any    `json:"old,omitempty" jsonschema_extras:"deprecated=true"`
	Headers map[string]string `json:"headers,omitempty"`
	Items   []variantURL      `json:"items,omitempty"`
}

func TestReflectInlineObject(t *testing.T) {
	t.Parallel()
	s, err := Reflect(sample{})
	if err != nil {
		t.Fatal(err)
	}
	if s["type"] != "object" {
		t.Errorf("root type = %v, want object", s["type"])
	}
	for _, k := range []string{"$ref", "$defs", "$schema", "$id"} {
		if _, ok := s[k]; ok {
			t.Errorf("root has %s", k)
		}
	}
	if got, want := s["required"], []any{"name", "method"}; !reflect.DeepEqual(got, want) {
		t.Errorf("required = %v, want %v", got, want)
	}
	if d := Property(s, "name")["description"]; d != "A name, with a comma." {
		t.Errorf("description = %q", d)
	}
	if e := Property(s, "method")["enum"]; !reflect.DeepEqual(e, []any{"GET", "POST"}) {
		t.Errorf("enum = %v", e)
	}
	if one := Property(s, "body")["oneOf"]; !reflect.DeepEqual(one, []any{map[string]any{"type": "object"}, map[string]any{"type": "null"}}) {
		t.Errorf("body oneOf = %v", one)
	}
	for _, name := range []string{"any", "raw"} {
		if p := Property(s, name); p == nil || len(p) != 0 {
			t.Errorf("%s = %#v, want {}", name, p)
		}
	}
	if Property(s, "old")["deprecated"] != true {
		t.Errorf("old not deprecated: %v", Property(s, "old"))
	}
	if _, err := Marshal(s); err != nil {
		t.Fatal(err)
	}
}

func TestReflectRejectsNonObject(t *testing.T) {
	t.Parallel()
	if _, err := Reflect(""); err == nil {
		t.Fatal("Reflect(string) succeeded, want an error")
	}
}

func TestOneOf(t *testing.T) {
	t.Parallel()
	s, err := OneOf("one of two", variantURL{}, variantData{})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s["oneOf"].([]any)
	if len(list) != 2 || s["description"] != "one of two" {
		t.Fatalf("OneOf = %v", s)
	}
	first := list[0].(map[string]any)
	if first["type"] != "object" || !reflect.DeepEqual(first["required"], []any{"url"}) {
		t.Errorf("first variant = %v", first)
	}
}

func TestSetProperty(t *testing.T) {
	t.Parallel()
	s := Object{"type": "object"}
	SetProperty(s, "x", Object{"type": "string"})
	if Property(s, "x")["type"] != "string" {
		t.Errorf("SetProperty did not set x: %v", s)
	}
}
