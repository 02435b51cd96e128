package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// settle is how long after tools/list is answered the idle RSS is read: an
// idle server, not one still busy with start-up (the server returns its
// start-up garbage 100 ms after it starts serving).
const settle = 250 * time.Millisecond

// contender is one program of the start-up scenario and what its runs took.
type contender struct {
	label string
	bin   string
	env   []string
	args  []string
	cold  []time.Duration
	rss   []int64
}

// startup starts the server and a plain mcp-go server that lists the same
// tools (and each -baseline) one after the other, -cold times each,
// so that all see the same machine, and compares their cold start and idle
// RSS.
func (b *bench) startup(ctx context.Context) error {
	def, err := b.plainDefinition()
	if err != nil {
		return err
	}
	plain := b.o.plain
	if plain == "" {
		fmt.Fprintln(b.log, "building the plain mcp-go server…")
		if plain, err = build(ctx, b.tmp, "plain", plainPackage, false, b.o.static); err != nil {
			return err
		}
	}
	server := &contender{label: "server", bin: b.bin, env: b.env, args: b.o.serverArgs}
	all := []*contender{server}
	for _, bin := range b.o.baselines {
		all = append(all, &contender{label: bin, bin: bin, env: b.env, args: b.o.serverArgs})
	}
	ref := &contender{label: "plain mcp-go", bin: plain, env: b.env, args: []string{def}}
	all = append(all, ref)
	for i := range b.o.cold {
		// Rotate who goes first, so that no program always follows the same one.
		for j := range all {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := all[(i+j)%len(all)]
			if err := c.runOnce(); err != nil {
				return fmt.Errorf("%s: %w", c.label, err)
			}
		}
	}
	for _, c := range all[:len(all)-1] {
		b.startupRows(c, ref)
	}
	return nil
}

// startupRows adds c's cold start and idle RSS, against ref's, to the table.
func (b *bench) startupRows(c, ref *contender) {
	who := ""
	if c.label != "server" {
		who = ", " + c.label
	}
	cs, cr := median(c.cold), median(ref.cold)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("start-up against plain mcp-go%s: cold start, p50 of %d (p90)", who, len(c.cold)),
		server:  ms(cs) + " (" + ms(percentile(c.cold, 0.9)) + ")",
		floor:   ms(cr) + " (" + ms(percentile(ref.cold, 0.9)) + ")",
		compare: ratio(float64(cs), float64(cr)),
		target:  "≤ 1.05×",
		verdict: verdict(float64(cs) <= 1.05*float64(cr)),
	})
	ms, mr := medianInt(c.rss), medianInt(ref.rss)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("start-up against plain mcp-go%s: idle RSS (VmRSS %s after tools/list), p50 of %d", who, settle, len(c.rss)),
		server:  mib(ms),
		floor:   mib(mr),
		compare: ratio(float64(ms), float64(mr)),
		target:  "≤ 1.05×",
		verdict: verdict(float64(ms) <= 1.05*float64(mr)),
	})
}

// runOnce times spawn → initialize → initialized → tools/list answered, then
// reads the idle RSS, and stops the program.
func (c *contender) runOnce() error {
	start := time.Now()
	p, err := spawn(c.bin, c.env, c.args, true, "")
	if err != nil {
		return err
	}
	err = openSession(newLineConn(p.stdin, p.stdout))
	d := time.Since(start)
	var m mem
	if err == nil {
		time.Sleep(settle)
		m, err = readMem(p.pid())
	}
	if serr := p.stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("%w%s", err, lastLines(p.stderr.String()))
	}
	c.cold = append(c.cold, d)
	c.rss = append(c.rss, m.rss)
	return nil
}

// plainDefinition writes the instructions and tools the server announces,
// from its own answers, to a file for the plain server, and returns its path.
func (b *bench) plainDefinition() (string, error) {
	replies, err := b.captureReplies()
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(replies)
	if err != nil {
		return "", err
	}
	initLine, listLine, _ := bytes.Cut(raw, []byte("\n"))
	var initialize struct {
		Result struct {
			Instructions string `json:"instructions"`
		} `json:"result"`
	}
	var list struct {
		Result struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(initLine, &initialize); err != nil {
		return "", fmt.Errorf("initialize answer: %w", err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(listLine), &list); err != nil {
		return "", fmt.Errorf("tools/list answer: %w", err)
	}
	def, err := json.Marshal(map[string]any{"instructions": initialize.Result.Instructions, "tools": list.Result.Tools})
	if err != nil {
		return "", err
	}
	path := filepath.Join(b.tmp, "plain-tools.json")
	return path, os.WriteFile(path, def, 0o600)
}

// ratio formats a/b as a factor and a percentage over or under.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f× (%+.0f %%)", a/b, 100*(a/b-1))
}

func medianInt(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
