package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// Bounds of one jq run: a filter is the model's code running in this
// process, so neither its time nor what it makes may grow without end.
const (
	// jqTimeLimit bounds a run; gojq checks the context before each step.
	jqTimeLimit = 2 * time.Second
	// jqMaxOutputBytes bounds the encoded outputs together.
	jqMaxOutputBytes = 8 << 20
	// jqMaxOutputs bounds how many outputs a run may make.
	jqMaxOutputs = 100_000
	// jqMaxSteps bounds the steps of a run. Time alone does not bound what a
	// filter builds: `reduce range(3e6) as $i (null; [.])` makes, within
	// the time limit, a value nested so deep that gojq's own recursive
	// encoders overflow the goroutine stack, and a stack overflow kills the
	// process (no recover catches it). At this many steps a value cannot be
	// nested more than about a million deep, which the encoders survive, and
	// a filter over a few MiB of data still has room.
	jqMaxSteps = 5_000_000
	// jqMaxDepth bounds how deeply an output may nest, as encoding/json
	// bounds what it decodes.
	jqMaxDepth = 10_000
	// jqConcurrentRuns bounds the filters that run at once in a process:
	// one gojq step can allocate a lot (a string repeated a billion times),
	// and a run that has timed out goes on until its next step.
	jqConcurrentRuns = 2
)

// jqSlots are the places for filters running at once, shared by every tool
// of a Set; a nil jqSlots does not limit.
type jqSlots chan struct{}

func newJQSlots() jqSlots { return make(jqSlots, jqConcurrentRuns) }

// errTooManySteps ends a run that took more than its steps.
var errTooManySteps = errors.New("too many steps")

// stepLimited is the context a run sees: gojq asks for Done before each
// step, so counting those calls bounds the run's steps. Only the run's own
// goroutine calls its Done, so the count needs no lock.
type stepLimited struct {
	context.Context
	cancel context.CancelCauseFunc
	steps  int64
	max    int64
}

func (s *stepLimited) Done() <-chan struct{} {
	if s.steps++; s.steps == s.max {
		s.cancel(errTooManySteps)
	}
	return s.Context.Done()
}

// jqFilter is a compiled jq filter, safe for concurrent runs. It sees only
// its input: no environment ($ENV is empty), no modules, no inputs.
type jqFilter struct {
	src  string
	code *gojq.Code
	// limits are the bounds of a run; compileJQ sets the defaults above.
	timeLimit time.Duration
	maxBytes  int
	maxOuts   int
	maxSteps  int64
}

// compileJQ compiles src. Its error, for a syntax error, names the line and
// column where the parser stopped and shows the filter with a caret there.
func compileJQ(src string) (*jqFilter, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("syntax error at %s: %s\n%s", jqPosition(src, pe.Offset), pe.Error(), jqCaret(src, pe.Offset))
		}
		return nil, fmt.Errorf("syntax error: %w", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("cannot compile: %w", err)
	}
	return &jqFilter{src: src, code: code, timeLimit: jqTimeLimit, maxBytes: jqMaxOutputBytes, maxOuts: jqMaxOutputs, maxSteps: jqMaxSteps}, nil
}

// jqPosition says where offset falls in src, as line and column from 1.
func jqPosition(src string, offset int) string {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line := strings.Count(before, "\n") + 1
	// The parser stops after the token at fault: name its last character.
	col := max(offset-(strings.LastIndexByte(before, '\n')+1), 1)
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jqCaret is the line of src that holds offset, with a caret under it.
func jqCaret(src string, offset int) string {
	offset = min(max(offset, 0), len(src))
	start := strings.LastIndexByte(src[:offset], '\n') + 1
	end := strings.IndexByte(src[offset:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += offset
	}
	// Under the last character of the token at fault, as jqPosition names.
	col := max(offset-start-1, 0)
	return "    " + src[start:end] + "\n    " + strings.Repeat(" ", col) + "^"
}

// jqRunError is a filter that failed on the data: what gojq said, and the
// shape of the data, so that the filter can be fixed without seeing it all.
type jqRunError struct {
	err   error
	shape string
}

func (e *jqRunError) Error() string {
	return fmt.Sprintf("the jq filter failed: %v\nThe data it ran on: %s", e.err, e.shape)
}

// jqBoundError is a run stopped by one of its bounds.
type jqBoundError struct{ why string }

func (e *jqBoundError) Error() string {
	return "the jq filter was stopped: " + e.why + ". Narrow it (select fewer fields, use .[:N] or limit(N; …)) and try again."
}

// run applies the filter to data (JSON) and returns its output encoded: the
// one output as it is, or several (or none) as a JSON array. It waits for
// one of slots first. The run takes place off the caller's goroutine, so that
// the caller returns at the time limit even from a single long step; the run
// itself stops at its next step, and only then gives its slot back.
func (f *jqFilter) run(ctx context.Context, data []byte, slots jqSlots) ([]byte, error) {
	v, err := decodeJQInput(data)
	if err != nil {
		return nil, &jqRunError{err: fmt.Errorf("the data is not JSON: %w", err), shape: "not JSON"}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeLimit)
	defer cancel()
	if slots != nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil, &jqBoundError{why: fmt.Sprintf("it waited %s for other filters to finish (at most %d run at once)", f.timeLimit, cap(slots))}
		}
	}
	run, stop := context.WithCancelCause(ctx)
	sl := &stepLimited{Context: run, cancel: stop, max: f.maxSteps}
	type outcome struct {
		out []byte
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			stop(nil)
			if slots != nil {
				<-slots
			}
		}()
		out, err := f.collect(sl, v)
		done <- outcome{out, err}
	}()
	select {
	case o := <-done:
		return o.out, o.err
	case <-run.Done(): // not sl.Done: that is the run's goroutine's to call
		// The goroutine ends run once it has sent its outcome, so both can
		// be ready: the outcome wins.
		select {
		case o := <-done:
			return o.out, o.err
		default:
		}
		return nil, f.stopped(run)
	}
}

// stopped is the error of a run that its context ended.
func (f *jqFilter) stopped(ctx context.Context) error {
	switch {
	case errors.Is(context.Cause(ctx), errTooManySteps):
		return &jqBoundError{why: fmt.Sprintf("it took more than %d steps", f.maxSteps)}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &jqBoundError{why: fmt.Sprintf("it ran longer than %s", f.timeLimit)}
	}
	return ctx.Err()
}

// collect runs the filter on v and encodes its outputs within the bounds.
func (f *jqFilter) collect(ctx context.Context, v any) ([]byte, error) {
	iter := f.code.RunWithContext(ctx, v)
	var outs [][]byte
	total := 0
	for {
		out, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := out.(error); isErr {
			if ctx.Err() != nil {
				return nil, f.stopped(ctx)
			}
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break // halt: the outputs so far are the answer
			}
			return nil, &jqRunError{err: err, shape: shapeOf(v)}
		}
		if len(outs) == f.maxOuts {
			return nil, &jqBoundError{why: fmt.Sprintf("it made more than %d outputs", f.maxOuts)}
		}
		// Sized before it is encoded, so that a huge value is refused
		// without a second copy of it.
		size, deep := approxJSONSize(out, f.maxBytes-total)
		if deep {
			return nil, &jqBoundError{why: fmt.Sprintf("its output is nested more than %d levels deep", jqMaxDepth)}
		}
		if total+size > f.maxBytes {
			return nil, f.tooLarge()
		}
		b, err := gojq.Marshal(out)
		if err != nil {
			return nil, &jqRunError{err: err, shape: shapeOf(v)}
		}
		if total += len(b) + 1; total > f.maxBytes {
			return nil, f.tooLarge()
		}
		outs = append(outs, b)
	}
	if len(outs) == 1 {
		return outs[0], nil
	}
	return append(append([]byte("["), bytes.Join(outs, []byte(","))...), ']'), nil
}

func (f *jqFilter) tooLarge() error {
	return &jqBoundError{why: fmt.Sprintf("its output passed %s", sizeText(int64(f.maxBytes)))}
}

// decodeJQInput decodes JSON for gojq, numbers kept exact.
func decodeJQInput(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// approxJSONSize is about the encoded size of v, counted only until it
// passes limit (then it returns something over limit): a walk that stops
// early, where encoding a runaway value would double it. deep reports a
// value nested more than jqMaxDepth levels, which the walk does not enter
// (nor, then, does any encoder).
func approxJSONSize(v any, limit int) (n int, deep bool) {
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > jqMaxDepth {
			deep = true
			return false
		}
		switch v := v.(type) {
		case string:
			n += len(v) + 2
		case []any:
			n += 1 + len(v)
			for _, x := range v {
				if !walk(x, depth+1) {
					return false
				}
			}
		case map[string]any:
			n += 1 + len(v)
			for k, x := range v {
				n += len(k) + 3
				if !walk(x, depth+1) {
					return false
				}
			}
		default:
			n += 4 // a number, true, false or null: at least this
		}
		return n <= limit
	}
	walk(v, 0)
	return n, deep
}

// shapeOf describes a decoded JSON value for an error message: an object's
// keys with their types, an array's length and its first item's shape.
func shapeOf(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object with keys " + keysOf(v)
	case []any:
		if len(v) == 0 {
			return "an empty array"
		}
		s := fmt.Sprintf("an array of %d items; the first is %s", len(v), jsonType(v[0]))
		if m, ok := v[0].(map[string]any); ok {
			s += " with keys " + keysOf(m)
		}
		return s
	}
	return jsonType(v)
}

// keysOf lists an object's keys and the type of each, sorted, at most 30.
func keysOf(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const most = 30
	parts := make([]string, 0, min(len(keys), most)+1)
	for i, k := range keys {
		if i == most {
			parts = append(parts, fmt.Sprintf("… and %d more", len(keys)-most))
			break
		}
		parts = append(parts, fmt.Sprintf("%q (%s)", k, jsonType(m[k])))
	}
	return strings.Join(parts, ", ")
}

// jsonType names the JSON type of a decoded value, with an array's length.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return fmt.Sprintf("array of %d", len(v))
	case map[string]any:
		return "object"
	}
	return "number"
}
