package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"testing"
	"time"
)

// deepObject is an object nested depth deep, each level with keys short
// members and one more level, some levels with an array of items.
func deepObject(depth, keys int, arrays bool) []byte {
	var b bytes.Buffer
	for d := range depth {
		b.WriteByte('{')
		for k := range keys - 1 {
			fmt.Fprintf(&b, `"k%d":"v%d-%d",`, k, d, k)
		}
		if arrays && d%3 == 1 {
			b.WriteString(`"items":[`)
			for i := range 5 + d%7 {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"id":%d,"name":"%s"}`, i, strings.Repeat("x", d%40))
			}
			b.WriteString(`],`)
		}
		b.WriteString(`"next":`)
	}
	b.WriteString(`"end"`)
	b.WriteString(strings.Repeat("}", depth))
	return b.Bytes()
}

// newCutter is the cutter cutJSON uses for data and budget.
func newCutter(data []byte, budget int) *cutter {
	p := jsonParser{data: data}
	root := p.value(0)
	return &cutter{root: root, budget: budget, maxDepth: p.maxDepth}
}

// linearRun is cutter.run as it was, stepping depthMax down one level at a
// time: the reference the binary search must agree with.
func linearRun(c *cutter) ([]byte, cutInfo) {
	c.strMax, c.depthMax = -1, -1
	if c.arrays() {
		return c.render()
	}
	if lo, hi := minStringKept, c.longestString(); hi > lo {
		c.strMax = lo
		if c.arrays() {
			for lo < hi {
				mid := lo + (hi-lo+1)/2
				c.strMax = mid
				if c.arrays() {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			c.strMax = lo
			c.arrays()
			return c.render()
		}
	}
	c.strMax = minStringKept
	for d := c.maxDepth - 1; d >= 0; d-- {
		c.depthMax = d
		if c.arrays() {
			return c.render()
		}
	}
	for _, s := range []string{"null", "0"} {
		if len(s) <= c.budget {
			return []byte(s), cutInfo{}
		}
	}
	return nil, cutInfo{}
}

// TestCutDeepTreeFewAttempts: a tree 9000 levels deep is collapsed to its
// budget in a number of attempts logarithmic in its depth, not one attempt
// per level (9000 attempts, about 23 s, before).
func TestCutDeepTreeFewAttempts(t *testing.T) {
	t.Parallel()
	data := deepObject(9000, 20, false)
	const budget = 40000
	c := newCutter(data, budget)
	start := time.Now()
	shown, _ := c.run()
	if len(shown) > budget || !json.Valid(shown) {
		t.Fatalf("shown %d bytes, valid %v", len(shown), json.Valid(shown))
	}
	// The array and string searches, then about log2(depth) depth attempts.
	limit := 2*bits.Len(uint(c.maxDepth)) + 8
	if c.attempts > limit {
		t.Errorf("%d attempts to cut %d bytes %d deep, want at most %d", c.attempts, len(data), c.maxDepth, limit)
	}
	t.Logf("%d bytes %d deep cut to %d in %d attempts, %v", len(data), c.maxDepth, len(shown), c.attempts, time.Since(start))
}

// TestCutDepthSearchAsLinear: the binary search over depthMax cuts to the
// same text and cut info as stepping down a level at a time did.
func TestCutDepthSearchAsLinear(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{1, 2, 5, 17, 60, 120} {
		for _, keys := range []int{1, 3, 20} {
			for _, arrays := range []bool{false, true} {
				data := deepObject(depth, keys, arrays)
				for _, budget := range []int{3, 10, 40, 100, 400, 1000, 5000, len(data) / 2, len(data) - 1} {
					got, gotInfo := newCutter(data, budget).run()
					want, wantInfo := linearRun(newCutter(data, budget))
					if !bytes.Equal(got, want) || !reflect.DeepEqual(gotInfo, wantInfo) {
						t.Errorf("depth %d keys %d arrays %v budget %d:\n got %s %+v\nwant %s %+v", depth, keys, arrays, budget, got, gotInfo, want, wantInfo)
					}
				}
			}
		}
	}
}
