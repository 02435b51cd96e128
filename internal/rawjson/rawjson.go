// Package rawjson tells when JSON text can be copied into encoding/json's
// output as it is: when it already is what encoding/json would write for it.
// Both tools (upstream data in structuredContent) and server (a tool result
// on stdout) use it to skip the pass in which encoding/json re-compacts every
// json.RawMessage it encodes, the most expensive step for large responses.
package rawjson

// IsCompact reports whether the JSON text v is exactly as encoding/json
// writes it: no whitespace between tokens, and no <, >, &, U+2028 or U+2029
// inside strings (encoding/json escapes those). It reads the lexical layer
// only, with a check that strings and brackets are closed: v must be valid
// JSON, as the output of a JSON decoder or encoder is.
func IsCompact(v []byte) bool {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch outside[v[i]] {
		case 0:
			continue
		case tokQuote:
		case tokOpen:
			depth++
			continue
		case tokClose:
			if depth--; depth < 0 {
				return false
			}
			continue
		default: // whitespace
			return false
		}
		// A string: scan to its closing quote.
		for i++; ; i++ {
			for i < len(v) && inString[v[i]] == 0 {
				i++
			}
			if i >= len(v) {
				return false // not closed
			}
			switch v[i] {
			case '"':
			case '\\':
				i++ // the escaped byte cannot end the string
				continue
			case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
				if i+2 < len(v) && v[i+1] == 0x80 && v[i+2]&^1 == 0xA8 {
					return false
				}
				continue
			default: // <, >, &
				return false
			}
			break
		}
	}
	return depth == 0
}

const (
	tokQuote = 1 + iota
	tokOpen
	tokClose
	tokSpace
)

// outside classifies the bytes between tokens; inString marks the bytes a
// string scan must stop at.
var outside, inString [256]uint8

func init() {
	outside['"'] = tokQuote
	outside['{'], outside['['] = tokOpen, tokOpen
	outside['}'], outside[']'] = tokClose, tokClose
	outside[' '], outside['\t'], outside['\n'], outside['\r'] = tokSpace, tokSpace, tokSpace, tokSpace
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		inString[c] = 1
	}
}
