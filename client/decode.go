package client

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeBody is json.Unmarshal(b, v), with a shortcut for a large
// ProxyResponse (see decodeProxyResponse). With own, b belongs to the caller
// for good, and the response's Data may point into it rather than copy it.
func decodeBody(b []byte, v any, own bool) error {
	if out, ok := v.(*ProxyResponse); ok && len(b) >= fastDecodeMin {
		return decodeProxyResponse(b, out, own)
	}
	return json.Unmarshal(b, v)
}

// fastDecodeMin is the body size from which decodeProxyResponse takes its
// shortcut; below it the saving is smaller than the bookkeeping.
var fastDecodeMin = 4 << 10

// decodeProxyResponse is json.Unmarshal(b, out) with the same result and
// error, in one pass of encoding/json's scanner over the upstream data instead
// of two: json.Unmarshal checks the whole body, then scans the data again to
// find where it ends. Here the body is checked once, the data is found by a
// lexical scan (safe, since the body is valid), and the other members are
// decoded from a copy of the body with the data replaced by null. For a 256
// KiB answer that halves the decoding cost.
func decodeProxyResponse(b []byte, out *ProxyResponse, own bool) error {
	start, end, ok := -1, -1, false
	if json.Valid(b) {
		start, end, ok = dataMember(b)
	}
	if !ok {
		return json.Unmarshal(b, out)
	}
	rest := make([]byte, 0, len(b)-(end-start)+len("null"))
	rest = append(rest, b[:start]...)
	rest = append(rest, "null"...)
	rest = append(rest, b[end:]...)
	if err := json.Unmarshal(rest, out); err != nil {
		// Let json.Unmarshal report it, from a fresh value, as it would have.
		*out = ProxyResponse{}
		return json.Unmarshal(b, out)
	}
	if own {
		out.Data = json.RawMessage(b[start:end:end])
	} else {
		out.Data = append(json.RawMessage(nil), b[start:end]...)
	}
	return nil
}

// dataMember finds the value of the member of the top-level object that
// encoding/json would decode into ProxyResponse.Data: the last one whose key
// matches "data" without regard to case. b must be valid JSON.
func dataMember(b []byte) (start, end int, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, 0, false
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		keyEnd := skipString(b, i)
		key := b[i:keyEnd]
		i = skipSpace(b, keyEnd)
		i = skipSpace(b, i+1) // the colon
		valEnd := skipValue(b, i)
		if isDataKey(key) {
			start, end, ok = i, valEnd, true
		}
		i = skipSpace(b, valEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return start, end, ok
}

// isDataKey reports whether the quoted key names the data field as
// encoding/json matches names: exactly, or equal under case folding.
func isDataKey(quoted []byte) bool {
	var key string
	if bytes.IndexByte(quoted, '\\') < 0 {
		key = string(quoted[1 : len(quoted)-1])
	} else if json.Unmarshal(quoted, &key) != nil {
		return false
	}
	return strings.EqualFold(key, "data")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at i.
func skipString(b []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		q += i
		e := bytes.IndexByte(b[i:q], '\\')
		if e < 0 {
			return q + 1
		}
		i += e + 2 // past the escape and the byte it escapes
	}
}

// skipValue returns the index just past the value that starts at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = skipString(b, i)
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			if depth == 0 && (b[i] == ',' || b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
				return i
			}
			i++
		}
		if depth == 0 && i < len(b) && (b[i] == ',' || b[i] == '}' || b[i] == ']' || b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			return i
		}
	}
	return i
}
