package tools

import (
	"bytes"
	"encoding/json"
)

// topMembers returns the members of a JSON object as slices of data itself,
// not copies: reading a page's cursor must not copy the page, which can be
// tens of MiB (json.Unmarshal into json.RawMessage values copies every one).
// data is JSON the client has already checked to be valid; anything else, or
// a value that is not an object, gives ok false.
func topMembers(data []byte) (members map[string]json.RawMessage, ok bool) {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '{' {
		return nil, false
	}
	members = map[string]json.RawMessage{}
	i := 1
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == '}' {
			return members, true
		}
		if i >= len(data) || data[i] != '"' {
			return nil, false
		}
		end := skipValue(data, i)
		var key string
		if end < 0 || json.Unmarshal(data[i:end], &key) != nil {
			return nil, false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		start := skipSpace(data, i+1)
		end = skipValue(data, start)
		if end < 0 {
			return nil, false
		}
		members[key] = json.RawMessage(data[start:end:end])
		i = skipSpace(data, end)
		switch {
		case i < len(data) && data[i] == ',':
			i++
		case i < len(data) && data[i] == '}':
			return members, true
		default:
			return nil, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at data[i], or -1.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end := skipValue(data, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // number, true, false, null
		j := i
		for j < len(data) && !bytes.ContainsRune([]byte(",}] \t\n\r"), rune(data[j])) {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}
