package tools

import "unicode/utf8"

// cutState is where a scan of JSON text stands: inside a string or not, and
// inside an escape sequence or not.
type cutState struct {
	inString bool
	// esc is -1 right after a backslash, 1 to 4 while the hex digits of a \u
	// escape remain, 0 otherwise.
	esc int8
}

// cutPoints splits data into pages of at most limit bytes and returns the
// offset at which each page starts (the first is 0; a page ends where the
// next begins, the last at len(data)). Pages join into data exactly.
//
// A page never ends inside a UTF-8 sequence, so that each is valid text when
// data is, nor, for JSON, inside an escape sequence such as \u00e9. Within
// those rules it prefers, if that leaves the page at least half full, to end
// right after a JSON element (a comma outside strings), else after a line
// break (a newline, or a \n escape inside a JSON string): a model reading the
// first page sees whole items rather than half of one.
func cutPoints(data []byte, limit int, isJSON bool) []int {
	// Room for the longest escape sequence (\uXXXX) and then some, so that
	// every window holds a place outside any escape.
	limit = max(limit, minCutLimit)
	starts := []int{0}
	var st cutState
	for s := 0; len(data)-s > limit; {
		cut, next := nextCut(data, s, limit, isJSON, st)
		starts = append(starts, cut)
		s, st = cut, next
	}
	return starts
}

// minCutLimit is the smallest page size cutPoints uses.
const minCutLimit = 8

// candidate is a place to end a page, with the scan state there.
type candidate struct {
	pos int
	st  cutState
}

// nextCut finds the end of the page that starts at s in state st, and the
// scan state at that end.
func nextCut(data []byte, s, limit int, isJSON bool, st cutState) (int, cutState) {
	end := s + limit // len(data) > end: the caller checked
	var safe, unescaped, elem, line candidate
	escapedNewline := false // the escape just completed was \n
	for i := s; i <= end; i++ {
		if i > s && st.esc == 0 {
			unescaped = candidate{i, st}
		}
		if i > s && st.esc == 0 && utf8.RuneStart(data[i]) {
			c := candidate{i, st}
			safe = c
			switch prev := data[i-1]; {
			case isJSON && !st.inString && prev == ',':
				elem = c
			case prev == '\n' || escapedNewline:
				line = c
			}
		}
		if i == end {
			break
		}
		escapedNewline = false
		if isJSON {
			escapedNewline = st.consume(data[i])
		}
	}
	half := s + limit/2
	switch {
	case elem.pos >= half:
		return elem.pos, elem.st
	case line.pos >= half:
		return line.pos, line.st
	case safe.pos > s:
		return safe.pos, safe.st
	}
	// No rune starts in the whole window: the data is not UTF-8 (it will be
	// served as bytes, not text), so keep only clear of escapes.
	return unescaped.pos, unescaped.st
}

// consume advances the state past one byte of JSON and reports whether that
// byte completed a \n escape.
func (st *cutState) consume(c byte) bool {
	if !st.inString {
		st.inString = c == '"'
		return false
	}
	switch {
	case st.esc == -1:
		if c == 'u' {
			st.esc = 4
			return false
		}
		st.esc = 0
		return c == 'n'
	case st.esc > 0:
		st.esc--
	case c == '\\':
		st.esc = -1
	case c == '"':
		st.inString = false
	}
	return false
}
