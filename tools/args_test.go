package tools

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"minimal", `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`,
			`{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`},
		{"lower-case method", `{"toolkit_slug":"github","endpoint":"/user","method":"patch"}`,
			`{"toolkit_slug":"github","endpoint":"/user","method":"PATCH"}`},
		{"explicit null body stays null", `{"toolkit_slug":"gmail","endpoint":"/x","method":"POST","body":null}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"POST","body":null}`},
		{"object body passes as given", `{"toolkit_slug":"gmail","endpoint":"/x","method":"POST","body":{"a":[1,2,{"b":null}],"big":12345678901234567890}}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"POST","body":{"a":[1,2,{"b":null}],"big":12345678901234567890}}`},
		{"parameters, numbers as strings, type lower-cased", `{"toolkit_slug":"gmail","endpoint":"/x","method":"GET","parameters":[{"name":"maxResults","value":10,"type":"QUERY"},{"name":"X-A","value":"v","type":"header"},{"name":"flag","value":true,"type":"query"}]}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"GET","parameters":[{"name":"maxResults","value":"10","type":"query"},{"name":"X-A","value":"v","type":"header"},{"name":"flag","value":"true","type":"query"}]}`},
		{"binary url", `{"toolkit_slug":"gmail","endpoint":"/x","method":"PUT","binary_body":{"url":"https://files.test/a.pdf","content_type":"application/pdf"}}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"PUT","binary_body":{"url":"https://files.test/a.pdf","content_type":"application/pdf"}}`},
		{"binary base64 unpadded", `{"toolkit_slug":"gmail","endpoint":"/x","method":"PUT","binary_body":{"base64":"aGVsbG8"}}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"PUT","binary_body":{"base64":"aGVsbG8"}}`},
		{"null optional fields are absent", `{"toolkit_slug":"gmail","endpoint":"/x","method":"GET","binary_body":null,"parameters":null,"custom_connection_data":null}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"GET"}`},
		{"invalid UTF-8 in body is replaced", "{\"toolkit_slug\":\"g\",\"endpoint\":\"/x\",\"method\":\"POST\",\"body\":{\"k\":\"a\xffb\"}}",
			"{\"toolkit_slug\":\"g\",\"endpoint\":\"/x\",\"method\":\"POST\",\"body\":{\"k\":\"a\uFFFDb\"}}"},
		{"custom connection data", `{"toolkit_slug":"gmail","endpoint":"/x","method":"GET","custom_connection_data":{"authScheme":"API_KEY"}}`,
			`{"toolkit_slug":"gmail","endpoint":"/x","method":"GET","custom_connection_data":{"authScheme":"API_KEY"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := parseArgs([]byte(tt.in))
			if err != nil {
				t.Fatalf("parseArgs: %v", err)
			}
			got, _ := json.Marshal(req)
			if string(got) != tt.want {
				t.Errorf("forwarded\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseArgsInvalid(t *testing.T) {
	t.Parallel()
	big := base64.StdEncoding.EncodeToString(make([]byte, maxBinaryBytes+1))
	tests := []struct {
		name string
		in   string
		want []string // every one must appear in the message
	}{
		{"not an object", `[1]`, []string{"arguments: want a JSON object"}},
		{"empty", ``, []string{"arguments: want a JSON object"}},
		{"malformed", `{"toolkit_slug":`, []string{"not valid JSON"}},
		{"all missing", `{}`, []string{"toolkit_slug: required", "endpoint: required", "method: required"}},
		{"wrong types", `{"toolkit_slug":1,"endpoint":[],"method":true}`, []string{"toolkit_slug: must be a string, got a number", "endpoint: must be a string, got an array", "method: must be a string, got a boolean"}},
		{"blank", `{"toolkit_slug":" ","endpoint":"/x","method":"GET"}`, []string{"toolkit_slug: must not be empty"}},
		{"method FETCH", `{"toolkit_slug":"g","endpoint":"/x","method":"FETCH"}`, []string{`method: "FETCH" is not one of GET, POST, PUT, DELETE, PATCH, HEAD`}},
		{"body array", `{"toolkit_slug":"g","endpoint":"/x","method":"POST","body":[1]}`, []string{"body: must be a JSON object or null, got an array"}},
		{"body string", `{"toolkit_slug":"g","endpoint":"/x","method":"POST","body":"hi"}`, []string{"body: must be a JSON object or null, got a string"}},
		{"cookie parameter", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","parameters":[{"name":"c","value":"v","type":"cookie"}]}`, []string{`parameters[0].type: "cookie" is not "header" or "query"`}},
		{"parameter missing fields", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","parameters":[{"value":{}}]}`, []string{"parameters[0].name: required", "parameters[0].type: required", "parameters[0].value: must be a string, got an object"}},
		{"parameter not object", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","parameters":["q=1"]}`, []string{"parameters[0]: must be an object"}},
		{"parameters object", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","parameters":{"q":"1"}}`, []string{"parameters: must be an array"}},
		{"binary both", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"url":"https://a.test/x","base64":"aGk="}}`, []string{"binary_body: give exactly one of"}},
		{"binary neither", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"content_type":"text/plain"}}`, []string{"binary_body: give exactly one of"}},
		{"binary invalid base64", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"base64":"!!!notbase64"}}`, []string{"binary_body.base64: is not valid standard base64"}},
		{"binary empty base64", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"base64":""}}`, []string{"binary_body.base64: must not be empty"}},
		{"binary over 4 MB", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"base64":"` + big + `"}}`, []string{"binary_body.base64:", "4 MB"}},
		{"binary relative url", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"url":"/local/file"}}`, []string{"binary_body.url: must be an absolute http or https URL"}},
		{"binary unknown field", `{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"file":"/etc/passwd"}}`, []string{"binary_body.file: unknown field", "binary_body: give exactly one of"}},
		{"unknown field with hint", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","query":{"q":"1"}}`, []string{`query: unknown field; put query parameters in "parameters"`}},
		{"unknown field", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","zzz":1}`, []string{"zzz: unknown field; the fields are"}},
		{"custom connection data not object", `{"toolkit_slug":"g","endpoint":"/x","method":"GET","custom_connection_data":"x"}`, []string{"custom_connection_data: must be an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := parseArgs([]byte(tt.in))
			var ae *argError
			if !errors.As(err, &ae) {
				t.Fatalf("parseArgs = %+v, %v; want an *argError", req, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "invalid arguments, nothing was sent:") {
				t.Errorf("message does not open with the summary: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// FuzzParseArgs checks that no input panics, that rejections name a field, and
// that accepted input forwards a request that re-parses to itself. Its seed
// corpus (testdata/args and the f.Add lines) runs with every go test.
func FuzzParseArgs(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/args/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"toolkit_slug":"github","endpoint":"/user","method":"get"}`))
	f.Add([]byte(`{"toolkit_slug":"g","endpoint":"/x","method":"PUT","binary_body":{"base64":"aGk"},"parameters":[{"name":"a","value":1,"type":"query"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := parseArgs(in)
		if err != nil {
			var ae *argError
			if !errors.As(err, &ae) || len(ae.problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		if req.ToolkitSlug == "" || req.Endpoint == "" || req.Method == "" {
			t.Fatalf("accepted without a required field: %+v", req)
		}
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("encoding accepted request: %v", err)
		}
		again, err := parseArgs(out)
		if err != nil {
			t.Fatalf("forwarded request does not re-parse: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
