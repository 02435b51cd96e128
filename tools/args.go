package tools

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// maxBinaryBytes is Composio's cap on a base64 binary_body, decoded.
const maxBinaryBytes = 4 << 20

// argError lists every problem found in one call's arguments, field by field, so a
// model can fix them all in one retry.
type argError struct {
	problems []string
	// policy marks calls that are well-formed but refused by the Policy.
	policy bool
}

func (e *argError) add(field, format string, a ...any) {
	e.problems = append(e.problems, field+": "+fmt.Sprintf(format, a...))
}

func (e *argError) Error() string {
	if e.policy {
		return "refused by this server's policy, nothing was sent:\n- " + strings.Join(e.problems, "\n- ")
	}
	return "invalid arguments, nothing was sent:\n- " + strings.Join(e.problems, "\n- ")
}

// fieldHints answers the names that models commonly reach for with the field they
// meant.
var fieldHints = map[string]string{
	"toolkit":     `use "toolkit_slug"`,
	"slug":        `use "toolkit_slug"`,
	"url":         `use "endpoint"`,
	"path":        `use "endpoint"`,
	"query":       `put query parameters in "parameters" as {"name":…,"value":…,"type":"query"}`,
	"params":      `put query parameters in "parameters" as {"name":…,"value":…,"type":"query"}`,
	"headers":     `put headers in "parameters" as {"name":…,"value":…,"type":"header"}`,
	"data":        `use "body" for a JSON body`,
	"json":        `use "body" for a JSON body`,
	"binary":      `use "binary_body"`,
	"http_method": `use "method"`,
}

// proxyCall is a decoded proxy_execute call: the request to forward and,
// when binary_body named a local file, the file that was read.
type proxyCall struct {
	req  *client.ProxyRequest
	file *uploadedFile
	// jq, when set, narrows the response's data; it is never sent.
	jq *jqFilter
	// maxPages is how many pages to fetch, following the next-page hints;
	// 0 or 1 fetches one.
	maxPages int
}

// uploadedFile describes a local file that binary_body sends, for the
// confirmation prompt; its bytes are in the request.
type uploadedFile struct {
	path        string // as resolved, symbolic links followed
	contentType string
	size        int
}

// argDecoder decodes proxy_execute's arguments, in one pass, local files
// included: binary_body {"file": …} is read from uploadRoots (none: there is
// no such variant) and forwarded as base64.
type argDecoder struct {
	uploadRoots []string
}

// decode decodes and checks proxy_execute's arguments. It returns the call
// to forward, whose request holds exactly the fields that were given (method
// upper-cased, parameter types lower-cased), or an *argError naming every
// field at fault. It describes the call as asked for in rec (nil: nowhere),
// whether or not it is valid, so that an audit of a refused call says what
// was refused.
func (d argDecoder) decode(raw []byte, rec *callRecord) (proxyCall, error) {
	raw = bytes.TrimSpace(raw)
	if !utf8.Valid(raw) {
		// body passes through as raw bytes: invalid UTF-8 would reach
		// Composio as is. Invalid bytes can only sit inside JSON strings, so
		// replacing them keeps the JSON valid.
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	if len(raw) == 0 || raw[0] != '{' {
		return proxyCall{}, &argError{problems: []string{`arguments: want a JSON object with "toolkit_slug", "endpoint" and "method"`}}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return proxyCall{}, &argError{problems: []string{"arguments: not valid JSON: " + err.Error()}}
	}
	if rec != nil {
		toolkit := stringField(fields, "toolkit_slug")
		if toolkit == "" {
			toolkit = stringField(fields, "toolkit")
		}
		rec.describe(toolkit, stringField(fields, "method"), stringField(fields, "endpoint"))
	}
	var (
		req  client.ProxyRequest
		errs argError
		call proxyCall
	)
	req.ToolkitSlug = requiredString(&errs, fields, "", "toolkit_slug", "the toolkit whose connected account to use, e.g. \"gmail\"")
	req.Endpoint = requiredString(&errs, fields, "", "endpoint", "a path relative to the API's base URL, e.g. \"/gmail/v1/users/me/messages\"")
	methods := client.Methods()
	if m := requiredString(&errs, fields, "", "method", "one of "+strings.Join(methods, ", ")); m != "" {
		req.Method = strings.ToUpper(m)
		if !slices.Contains(methods, req.Method) {
			errs.add("method", "%q is not one of %s", m, strings.Join(methods, ", "))
		}
	}
	if v, ok := fields["body"]; ok {
		switch firstByte(v) {
		case '{':
			req.Body = v
		case 'n':
			req.Body = json.RawMessage("null")
		default:
			errs.add("body", "must be a JSON object or null, got %s; send raw or binary payloads with binary_body", kind(v))
		}
	}
	if v, ok := fields["binary_body"]; ok && firstByte(v) != 'n' {
		var in map[string]json.RawMessage
		if firstByte(v) != '{' || json.Unmarshal(v, &in) != nil {
			errs.add("binary_body", `must be an object: {"url":…} or {"base64":…}, with an optional "content_type"`)
		} else {
			var up *upload
			if _, ok := in["file"]; ok && len(d.uploadRoots) > 0 {
				// A file that cannot be sent is the only problem reported:
				// the path is what the model must fix first.
				var err error
				if up, err = readFileVariant(d.uploadRoots, in); err != nil {
					return proxyCall{}, err
				}
				call.file = &uploadedFile{path: up.path, contentType: up.contentType, size: len(up.data)}
			}
			req.BinaryBody = parseBinaryBody(&errs, in, up)
		}
	}
	if v, ok := fields["parameters"]; ok && firstByte(v) != 'n' {
		req.Parameters = parseParameters(&errs, v)
	}
	if v, ok := fields["custom_connection_data"]; ok && firstByte(v) != 'n' {
		if firstByte(v) != '{' {
			errs.add("custom_connection_data", "must be an object, got %s", kind(v))
		} else {
			req.CustomConnectionData = v
		}
	}
	if v, ok := fields["jq"]; ok && firstByte(v) != 'n' {
		call.jq = parseJQ(&errs, v)
	}
	if v, ok := fields["max_pages"]; ok && firstByte(v) != 'n' {
		call.maxPages = parseMaxPages(&errs, v, req.Method)
	}
	for name := range fields {
		switch name {
		case "toolkit_slug", "endpoint", "method", "body", "binary_body", "parameters", "custom_connection_data", "jq", "max_pages":
		default:
			if hint, ok := fieldHints[strings.ToLower(name)]; ok {
				errs.add(name, "unknown field; %s", hint)
			} else {
				errs.add(name, "unknown field; the fields are toolkit_slug, endpoint, method, body, binary_body, parameters, jq, max_pages")
			}
		}
	}
	if len(errs.problems) > 0 {
		slices.Sort(errs.problems)
		return proxyCall{}, &errs
	}
	call.req = &req
	return call, nil
}

// parseJQ compiles the jq argument, a filter of the response's data; an
// empty one is none.
func parseJQ(errs *argError, v json.RawMessage) *jqFilter {
	var src string
	if firstByte(v) != '"' || json.Unmarshal(v, &src) != nil {
		errs.add("jq", "must be a string holding a jq filter, e.g. \".items[] | {id, name}\", got %s", kind(v))
		return nil
	}
	if strings.TrimSpace(src) == "" {
		return nil
	}
	f, err := compileJQ(src)
	if err != nil {
		errs.add("jq", "%v", err)
	}
	return f
}

// parseMaxPages reads max_pages: a whole number from 1 to maxPagesLimit, on
// a GET only, since following pages repeats the call.
func parseMaxPages(errs *argError, v json.RawMessage, method string) int {
	var n int
	if json.Unmarshal(v, &n) != nil || n < 1 || n > maxPagesLimit {
		errs.add("max_pages", "must be a whole number from 1 to %d, got %s", maxPagesLimit, v)
		return 0
	}
	if method != "" && method != "GET" {
		errs.add("max_pages", "follows pages of a GET only, not of a %s; leave it out and page by hand with next_page", method)
		return 0
	}
	return n
}

// stringField is fields[name] when it is a JSON string, else "".
func stringField(fields map[string]json.RawMessage, name string) string {
	var s string
	if v, ok := fields[name]; ok && firstByte(v) == '"' {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// requiredString reads fields[name] as a non-empty string; prefix locates the
// object in messages ("" at the top level, "parameters[2]." in an item).
func requiredString(errs *argError, fields map[string]json.RawMessage, prefix, name, want string) string {
	v, ok := fields[name]
	if !ok || firstByte(v) == 'n' {
		errs.add(prefix+name, "required: %s", want)
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		errs.add(prefix+name, "must be a string, got %s", kind(v))
		return ""
	}
	if strings.TrimSpace(s) == "" {
		errs.add(prefix+name, "must not be empty: %s", want)
		return ""
	}
	return s
}

// parseBinaryBody reads binary_body's members; up, when not nil, is the file
// that its "file" member named, already read and checked, sent as base64.
func parseBinaryBody(errs *argError, in map[string]json.RawMessage, up *upload) *client.BinaryBody {
	var bb client.BinaryBody
	if up != nil {
		bb.Base64 = base64.StdEncoding.EncodeToString(up.data)
		bb.ContentType = up.contentType
	}
	for name, raw := range in {
		if up != nil && (name == "file" || name == "content_type") {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			errs.add("binary_body."+name, "must be a string, got %s", kind(raw))
			continue
		}
		switch name {
		case "url":
			bb.URL = s
		case "base64":
			bb.Base64 = s
		case "content_type":
			bb.ContentType = s
		default:
			errs.add("binary_body."+name, `unknown field; binary_body takes "url" or "base64", and "content_type"`)
		}
	}
	_, hasURL := in["url"]
	_, hasB64 := in["base64"]
	switch {
	case up != nil:
		// readFileVariant checked the file's size and that it is the only source.
	case hasURL && hasB64:
		errs.add("binary_body", `give exactly one of "url" or "base64", not both`)
	case !hasURL && !hasB64:
		errs.add("binary_body", `give exactly one of "url" (a file to fetch) or "base64" (the bytes themselves)`)
	case hasURL:
		if u, err := url.Parse(bb.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.add("binary_body.url", "must be an absolute http or https URL, got %q", bb.URL)
		}
	case hasB64:
		checkBase64(errs, bb.Base64)
	}
	return &bb
}

// checkBase64 accepts standard base64 with or without padding, the forms models
// and tools produce, and enforces Composio's 4 MB cap before anything is sent.
func checkBase64(errs *argError, s string) {
	if s == "" {
		errs.add("binary_body.base64", "must not be empty")
		return
	}
	if n := base64.StdEncoding.DecodedLen(len(s)); n > maxBinaryBytes+3 {
		errs.add("binary_body.base64", "decodes to about %d bytes, over the 4 MB (%d bytes) limit", n, maxBinaryBytes)
		return
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		errs.add("binary_body.base64", "is not valid standard base64: %v", err)
		return
	}
	if len(b) > maxBinaryBytes {
		errs.add("binary_body.base64", "decodes to %d bytes, over the 4 MB (%d bytes) limit", len(b), maxBinaryBytes)
	}
}

func parseParameters(errs *argError, v json.RawMessage) []client.Parameter {
	var items []json.RawMessage
	if firstByte(v) != '[' || json.Unmarshal(v, &items) != nil {
		errs.add("parameters", `must be an array of {"name":…,"value":…,"type":"header"|"query"}, got %s`, kind(v))
		return nil
	}
	out := make([]client.Parameter, 0, len(items))
	for i, item := range items {
		field := fmt.Sprintf("parameters[%d]", i)
		var in map[string]json.RawMessage
		if firstByte(item) != '{' || json.Unmarshal(item, &in) != nil {
			errs.add(field, `must be an object {"name":…,"value":…,"type":"header"|"query"}, got %s`, kind(item))
			continue
		}
		var p client.Parameter
		p.Name = requiredString(errs, in, field+".", "name", "the header or query parameter name")
		p.Value = paramValue(errs, field, in["value"])
		if t := requiredString(errs, in, field+".", "type", `"header" or "query"`); t != "" {
			p.Type = strings.ToLower(t)
			if p.Type != "header" && p.Type != "query" {
				errs.add(field+".type", `%q is not "header" or "query"`, t)
			}
		}
		for name := range in {
			if name != "name" && name != "value" && name != "type" {
				errs.add(field+"."+name, `unknown field; a parameter has "name", "value" and "type"`)
			}
		}
		out = append(out, p)
	}
	return out
}

// paramValue reads a parameter value. The wire format is a string; numbers and
// booleans are taken in their JSON spelling, because models often write
// {"value": 10} and the meaning is not in doubt.
func paramValue(errs *argError, field string, v json.RawMessage) string {
	switch firstByte(v) {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(v)
	}
	if v == nil {
		errs.add(field+".value", "required: the value, as a string")
	} else {
		errs.add(field+".value", "must be a string, got %s", kind(v))
	}
	return ""
}

func firstByte(v json.RawMessage) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// kind names a JSON value's type for error messages.
func kind(v json.RawMessage) string {
	switch firstByte(v) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	default:
		return "a number"
	}
}
