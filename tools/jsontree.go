package tools

import "unicode/utf8"

// jnode is one JSON value: scalars keep their encoded bytes; containers
// their members (objects their encoded keys too). The per-attempt fields say
// how the value is shown.
type jnode struct {
	kind  byte // '{', '[', '"' or 'v' (number, true, false, null)
	raw   []byte
	keys  [][]byte
	kids  []*jnode
	depth int

	show int // items of an array shown; len(kids) when all
	size int // encoded size as shown, set by sizeOf
}

// jsonParser reads valid JSON (json.Valid checked it) into jnodes.
type jsonParser struct {
	data     []byte
	i        int
	maxDepth int
	slab     []jnode
}

func (p *jsonParser) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) *jnode {
	p.maxDepth = max(p.maxDepth, depth)
	p.ws()
	n := p.node()
	n.depth = depth
	switch c := p.data[p.i]; c {
	case '{', '[':
		n.kind = c
		p.i++
		for {
			p.ws()
			if p.data[p.i] == '}' || p.data[p.i] == ']' {
				p.i++
				break
			}
			if p.data[p.i] == ',' {
				p.i++
				p.ws()
			}
			if c == '{' {
				n.keys = append(n.keys, p.str())
				p.ws()
				p.i++ // ':'
			}
			n.kids = append(n.kids, p.value(depth+1))
		}
	case '"':
		n.kind, n.raw = '"', p.str()
	default:
		s := p.i
		for p.i < len(p.data) && !isDelim(p.data[p.i]) {
			p.i++
		}
		n.kind, n.raw = 'v', p.data[s:p.i]
	}
	return n
}

// node allocates a node from a slab: one allocation per many nodes.
func (p *jsonParser) node() *jnode {
	if len(p.slab) == 0 {
		p.slab = make([]jnode, 256)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

// str reads a string, quotes included.
func (p *jsonParser) str() []byte {
	s := p.i
	p.i++
	for p.data[p.i] != '"' {
		if p.data[p.i] == '\\' {
			p.i++
		}
		p.i++
	}
	p.i++
	return p.data[s:p.i]
}

func isDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// stringCut is the largest n <= limit at which the body of an encoded JSON
// string can be cut: not inside an escape (a surrogate pair counts as one),
// nor inside a UTF-8 sequence.
func stringCut(body []byte, limit int) int {
	last := 0
	for i := 0; i < len(body); {
		w := 1
		if body[i] == '\\' {
			w = 2
			if body[i+1] == 'u' {
				w = 6
				if isHighSurrogate(body[i+2:i+6]) && i+12 <= len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
					w = 12
				}
			}
		} else if r := body[i]; r >= utf8.RuneSelf {
			_, w = utf8.DecodeRune(body[i:])
		}
		if i+w > limit {
			break
		}
		i += w
		last = i
	}
	return last
}

func isHighSurrogate(hex []byte) bool {
	return (hex[0] == 'd' || hex[0] == 'D') && (hex[1] >= '8' && hex[1] <= '9' || hex[1] >= 'a' && hex[1] <= 'b' || hex[1] >= 'A' && hex[1] <= 'B')
}
