package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// coldStart times spawn → initialize → tools/list answered, alternating the
// server with the canned-bytes floor so that both see the same machine.
func (b *bench) coldStart(context.Context) error {
	replies, err := b.captureReplies()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cannedEnvList := append(os.Environ(), cannedEnv+"="+replies)
	var server, canned []time.Duration
	for range b.o.cold {
		d, err := coldOnce(b.bin, b.env, b.o.serverArgs)
		if err != nil {
			return err
		}
		server = append(server, d)
		if d, err = coldOnce(self, cannedEnvList, nil); err != nil {
			return fmt.Errorf("canned floor: %w", err)
		}
		canned = append(canned, d)
	}
	s, f := median(server), median(canned)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("cold start: spawn → initialize → tools/list, p50 of %d (p90)", b.o.cold),
		server:  ms(s) + " (" + ms(percentile(server, 0.9)) + ")",
		floor:   ms(f) + " (" + ms(percentile(canned, 0.9)) + ")",
		compare: "+" + ms(s-f),
		target:  "≤ 18 ms",
		verdict: verdict(s <= 18*time.Millisecond),
	})
	return nil
}

// captureReplies runs the server once and keeps its answers to initialize
// and tools/list, for the canned floor to send.
func (b *bench) captureReplies() (string, error) {
	p, err := spawn(b.bin, b.env, b.o.serverArgs, true, "")
	if err != nil {
		return "", err
	}
	defer p.stop()
	c := newLineConn(p.stdin, p.stdout)
	var out []byte
	line, err := c.call("initialize", initParams)
	if err != nil {
		return "", err
	}
	out = append(append(out, line...), '\n')
	if err := c.notify("notifications/initialized"); err != nil {
		return "", err
	}
	if line, err = c.call("tools/list", []byte(`{}`)); err != nil {
		return "", err
	}
	out = append(append(out, line...), '\n')
	path := filepath.Join(b.tmp, "canned.jsonl")
	return path, os.WriteFile(path, out, 0o600)
}

func coldOnce(bin string, env, args []string) (time.Duration, error) {
	start := time.Now()
	p, err := spawn(bin, env, args, true, "")
	if err != nil {
		return 0, err
	}
	c := newLineConn(p.stdin, p.stdout)
	err = openSession(c)
	d := time.Since(start)
	if serr := p.stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return 0, fmt.Errorf("%w%s", err, lastLines(p.stderr.String()))
	}
	return d, nil
}

// serveCanned is the cold-start floor: it answers initialize and tools/list
// with the server's own answers, read from a file, and does nothing else.
func serveCanned(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	initLine, listLine, _ := bytes.Cut(b, []byte("\n"))
	initLine = append(initLine, '\n')
	r := bufio.NewReaderSize(os.Stdin, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case bytes.Contains(line, []byte(`"method":"initialize"`)):
			_, _ = os.Stdout.Write(initLine)
		case bytes.Contains(line, []byte(`"method":"tools/list"`)):
			_, _ = os.Stdout.Write(listLine)
		}
	}
}
