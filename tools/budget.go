package tools

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// cutInfo says what cutJSON left out: the sizes of the whole and of the part
// shown, and, when an array was cut at whole items, how many it had, how
// many are shown and where it is (a jq path such as ".items").
type cutInfo struct {
	TotalBytes, ShownBytes int
	TotalItems, ShownItems int
	Path                   string
}

// cut reports whether anything was left out.
func (c cutInfo) cut() bool { return c.ShownBytes < c.TotalBytes || c.ShownItems < c.TotalItems }

// cutJSON returns data whole if it fits in budget bytes, and otherwise the
// most meaningful part of it that does: for JSON, valid compact JSON that
// keeps the shape of the whole. The largest arrays are cut at whole items
// first; if one item is still too much, long strings are shortened (at a
// UTF-8 and escape boundary, with a marker saying how long they were), keys
// all kept; only then are the deepest branches replaced by a marker. Text
// that is not JSON is cut at a UTF-8 boundary. Query results and jq output
// reuse it, so that every result is cut the same way.
func cutJSON(data []byte, budget int) (shown []byte, info cutInfo) {
	return newJSONCut(data).cut(budget)
}

// jsonCut is data read once, to be cut to several budgets: a caller that
// tries budgets until the text fits parses the data only once.
type jsonCut struct {
	data     []byte
	valid    bool
	root     *jnode
	maxDepth int
}

func newJSONCut(data []byte) *jsonCut {
	return &jsonCut{data: data}
}

// cut is cutJSON(j.data, budget).
func (j *jsonCut) cut(budget int) (shown []byte, info cutInfo) {
	data := j.data
	info = cutInfo{TotalBytes: len(data), ShownBytes: len(data)}
	if len(data) <= budget {
		return data, info
	}
	if j.root == nil && !j.valid {
		if !json.Valid(data) {
			shown = data[:runeFloor(data, max(budget, 0))]
			info.ShownBytes = len(shown)
			return shown, info
		}
		j.valid = true
		p := jsonParser{data: data}
		j.root, j.maxDepth = p.value(0), p.maxDepth
	}
	c := cutter{root: j.root, budget: budget, maxDepth: j.maxDepth}
	shown, info = c.run()
	info.TotalBytes = len(data)
	info.ShownBytes = len(shown)
	return shown, info
}

// runeFloor is the largest n <= limit at which data can be cut without
// splitting a UTF-8 sequence.
func runeFloor(data []byte, limit int) int {
	if limit >= len(data) {
		return len(data)
	}
	n := limit
	for n > 0 && !utf8.RuneStart(data[n]) {
		n--
	}
	return n
}

// cutter tries ever smaller renderings of the tree until one fits.
type cutter struct {
	root     *jnode
	budget   int
	maxDepth int

	// The current attempt: strings longer than strMax are shortened (<0:
	// none), containers deeper than depthMax collapsed (<0: none).
	strMax, depthMax int
	first            *cutInfo // the first array cut in this attempt

	// attempts counts the calls of arrays, each a pass over the whole tree,
	// so that tests can bound the work a cut does without timing it.
	attempts int
}

// minStringKept is the shortest a long string is cut to.
const minStringKept = 16

func (c *cutter) run() ([]byte, cutInfo) {
	c.strMax, c.depthMax = -1, -1
	if c.arrays() {
		return c.render()
	}
	// Shorten strings, as little as fits: the largest length that fits.
	if lo, hi := minStringKept, c.longestString(); hi > lo {
		if c.largestFitting(&c.strMax, lo, hi) {
			return c.render()
		}
	}
	c.strMax = minStringKept
	// Collapse containers, as few as fits: the largest depthMax that fits.
	// A smaller depthMax only collapses more, so fitting is monotone in it
	// and a binary search finds it in log(depth) attempts; stepping down one
	// level at a time took one attempt per level, quadratic in a deep tree.
	if c.maxDepth > 0 && c.largestFitting(&c.depthMax, 0, c.maxDepth-1) {
		return c.render()
	}
	for _, s := range []string{"null", "0"} {
		if len(s) <= c.budget {
			return []byte(s), cutInfo{}
		}
	}
	return nil, cutInfo{}
}

// largestFitting sets *knob to the largest value in [lo, hi] at which the
// tree fits, by binary search (a larger value shows more, so fitting is
// monotone), and reports whether even lo fits; then the tree is cut as that
// value shows it.
func (c *cutter) largestFitting(knob *int, lo, hi int) bool {
	*knob = lo
	if !c.arrays() {
		return false
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		*knob = mid
		if c.arrays() {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	*knob = lo
	c.arrays()
	return true
}

// render encodes the current attempt.
func (c *cutter) render() ([]byte, cutInfo) {
	b := c.encode(make([]byte, 0, c.root.size), c.root)
	if c.first != nil {
		return b, *c.first
	}
	return b, cutInfo{}
}

// longestString is the length of the longest string in the tree.
func (c *cutter) longestString() int {
	var walk func(n *jnode) int
	walk = func(n *jnode) int {
		m := 0
		if n.kind == '"' {
			m = len(n.raw)
		}
		for _, k := range n.kids {
			m = max(m, walk(k))
		}
		return m
	}
	return walk(c.root)
}

// maxArrayPasses bounds the arrays cut in one attempt.
const maxArrayPasses = 32

// arrays cuts the largest arrays at whole items until the tree fits, and
// reports whether it does.
func (c *cutter) arrays() bool {
	c.attempts++
	c.first = nil
	resetShow(c.root)
	for range maxArrayPasses {
		total := c.sizeOf(c.root)
		if total <= c.budget {
			return true
		}
		a, path := c.largestArray()
		if a == nil {
			return false
		}
		// Drop items from the end until the excess is gone, keeping one.
		excess := total - c.budget
		k := a.show
		for k > 1 && excess > 0 {
			k--
			excess -= a.kids[k].size + 1
		}
		if c.first == nil {
			c.first = &cutInfo{TotalItems: len(a.kids), Path: path}
		}
		a.show = k
		if c.first.Path == path {
			c.first.ShownItems = k
		}
	}
	return c.sizeOf(c.root) <= c.budget
}

func resetShow(n *jnode) {
	n.show = len(n.kids)
	for _, k := range n.kids {
		resetShow(k)
	}
}

// collapsed reports whether n is shown as a marker string.
func (c *cutter) collapsed(n *jnode) bool {
	return c.depthMax >= 0 && n.depth > c.depthMax && (n.kind == '{' || n.kind == '[')
}

// sizeOf sets and returns the encoded size of n as currently shown.
func (c *cutter) sizeOf(n *jnode) int {
	switch {
	case c.collapsed(n):
		n.size = len(c.marker(n))
	case n.kind == '"':
		n.size = len(n.raw)
		if c.strMax >= 0 && len(n.raw) > c.strMax+2 {
			n.size = c.strMax + 2 + len(strMarker(len(n.raw)))
		}
	case n.kind == 'v':
		n.size = len(n.raw)
	default:
		s := 2 + max(n.show-1, 0)
		for i := range n.show {
			s += c.sizeOf(n.kids[i])
			if n.kind == '{' {
				s += len(n.keys[i]) + 1
			}
		}
		n.size = s
	}
	return n.size
}

// largestArray is the largest shown array that still shows more than one
// item, with its path.
func (c *cutter) largestArray() (*jnode, string) {
	var best *jnode
	var bestPath []pathSeg
	var stack []pathSeg
	var walk func(n *jnode)
	walk = func(n *jnode) {
		if c.collapsed(n) {
			return
		}
		if n.kind == '[' && n.show > 1 && (best == nil || n.size > best.size) {
			best, bestPath = n, append(bestPath[:0], stack...)
		}
		for i := range n.show {
			seg := pathSeg{index: i}
			if n.kind == '{' {
				seg.key = n.keys[i]
			}
			stack = append(stack, seg)
			walk(n.kids[i])
			stack = stack[:len(stack)-1]
		}
	}
	walk(c.root)
	return best, jqPath(bestPath)
}

// pathSeg is one step of a path: an object key (encoded) or an array index.
type pathSeg struct {
	key   []byte
	index int
}

// jqPath writes a path as jq does: .items, .[0].rows, .["a b"].
func jqPath(segs []pathSeg) string {
	if len(segs) == 0 {
		return "."
	}
	var b []byte
	for _, s := range segs {
		switch {
		case s.key == nil:
			b = append(b, ".["...)
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
		case isIdent(s.key[1 : len(s.key)-1]):
			b = append(b, '.')
			b = append(b, s.key[1:len(s.key)-1]...)
		default:
			b = append(b, ".["...)
			b = append(b, s.key...)
			b = append(b, ']')
		}
	}
	return string(b)
}

func isIdent(k []byte) bool {
	if len(k) == 0 || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// marker stands for a collapsed container.
func (c *cutter) marker(n *jnode) string {
	what := "object of " + strconv.Itoa(len(n.kids)) + " keys"
	if n.kind == '[' {
		what = "array of " + strconv.Itoa(len(n.kids)) + " items"
	}
	return `"[cut: ` + what + `]"`
}

// strMarker ends a shortened string, saying how long it was.
func strMarker(rawLen int) string {
	return "…[cut: " + strconv.Itoa(rawLen-2) + " bytes in all]"
}

// encode appends n as currently shown.
func (c *cutter) encode(b []byte, n *jnode) []byte {
	switch {
	case c.collapsed(n):
		return append(b, c.marker(n)...)
	case n.kind == '"':
		if c.strMax >= 0 && len(n.raw) > c.strMax+2 {
			body := n.raw[1 : len(n.raw)-1]
			b = append(b, '"')
			b = append(b, body[:stringCut(body, c.strMax)]...)
			b = append(b, strMarker(len(n.raw))...)
			return append(b, '"')
		}
		return append(b, n.raw...)
	case n.kind == 'v':
		return append(b, n.raw...)
	}
	open, shut := byte('['), byte(']')
	if n.kind == '{' {
		open, shut = '{', '}'
	}
	b = append(b, open)
	for i := range n.show {
		if i > 0 {
			b = append(b, ',')
		}
		if n.kind == '{' {
			b = append(b, n.keys[i]...)
			b = append(b, ':')
		}
		b = c.encode(b, n.kids[i])
	}
	return append(b, shut)
}
