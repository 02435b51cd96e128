package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// startStdio spawns a server over stdio, opens the session the way a client
// does, and returns it with its idle memory.
func (b *bench) startStdio(scenario string, args []string) (*proc, *lineConn, mem, error) {
	p, err := spawn(b.bin, b.env, append(append([]string{}, b.o.serverArgs...), args...), true, b.profile(scenario))
	if err != nil {
		return nil, nil, mem{}, err
	}
	c := newLineConn(p.stdin, p.stdout)
	if err := openSession(c); err != nil {
		_ = p.stop()
		return nil, nil, mem{}, fmt.Errorf("%w%s", err, lastLines(p.stderr.String()))
	}
	time.Sleep(settle)
	m, err := readMem(p.pid())
	if err != nil {
		_ = p.stop()
		return nil, nil, mem{}, err
	}
	return p, c, m, nil
}

func openSession(c *lineConn) error {
	if _, err := c.call("initialize", initParams); err != nil {
		return err
	}
	if err := c.notify("notifications/initialized"); err != nil {
		return err
	}
	_, err := c.call("tools/list", []byte(`{}`))
	return err
}

// finish records a scenario's memory and server CPU per call, and stops its
// server.
func (b *bench) finish(scenario string, p *proc, idle mem, cpuPerCall time.Duration) error {
	m, err := readMem(p.pid())
	if err != nil {
		return err
	}
	b.mems = append(b.mems, memRow{scenario: scenario, idle: idle.rss, peak: m.hwm, cpuPerCall: cpuPerCall})
	if err := p.stop(); err != nil {
		return fmt.Errorf("stopping the server: %w%s", err, lastLines(p.stderr.String()))
	}
	return nil
}

// pair times one call through the server, then the same request sent
// straight to the backend (the floor), so that both see the same machine. On
// an error the server is stopped.
func (b *bench) pair(p *proc, c *lineConn, params, body []byte, buf *bytes.Buffer) (server, floor time.Duration, err error) {
	t0 := time.Now()
	if _, err := c.call("tools/call", params); err != nil {
		_ = p.stop()
		return 0, 0, fmt.Errorf("server: %w%s", err, lastLines(p.stderr.String()))
	}
	t1 := time.Now()
	if err := b.floor.call(body, buf); err != nil {
		_ = p.stop()
		return 0, 0, err
	}
	return t1.Sub(t0), time.Since(t1), nil
}

// pairs makes warm unmeasured pairs of calls, then n measured ones, and
// returns the measured times and the server CPU they took. On an error the
// server is stopped.
func (b *bench) pairs(ctx context.Context, p *proc, c *lineConn, params, body []byte, warm, n int) (server, floor []time.Duration, cpu time.Duration, err error) {
	var buf bytes.Buffer
	server = make([]time.Duration, 0, n)
	floor = make([]time.Duration, 0, n)
	var cpu0 time.Duration
	for i := range n + warm {
		if i == warm {
			cpu0 = cpuTime(p.pid())
		}
		if ctx.Err() != nil {
			_ = p.stop()
			return nil, nil, 0, ctx.Err()
		}
		st, ft, err := b.pair(p, c, params, body, &buf)
		if err != nil {
			return nil, nil, 0, err
		}
		if i >= warm {
			server = append(server, st)
			floor = append(floor, ft)
		}
	}
	return server, floor, cpuTime(p.pid()) - cpu0, nil
}

// sequential makes n calls of one response size, one at a time, alternating
// the server and the floor.
func (b *bench) sequential(ctx context.Context, scenario string, size, n int, args []string, target string) error {
	p, c, idle, err := b.startStdio(scenario, args)
	if err != nil {
		return err
	}
	body := proxyBody("/bytes/" + itoa(size))
	params := callParams(body)
	server, floor, cpu, err := b.pairs(ctx, p, c, params, body, min(50, n), n)
	if err != nil {
		return err
	}
	if err := b.finish(scenario, p, idle, cpu/time.Duration(n)); err != nil {
		return err
	}
	s50, f50 := median(server), median(floor)
	s99, f99 := percentile(server, 0.99), percentile(floor, 0.99)
	label := fmt.Sprintf("stdio, %s response, sequential, p50 / p99 (%d calls)", sizeLabel(size), n)
	met := ""
	switch scenario {
	case "stdio-1KiB":
		met = verdict(s50-f50 <= 150*time.Microsecond)
	case "stdio-256KiB":
		label += ", whole result (--max-result-bytes 0)"
		met = verdict(s50 <= 4*time.Millisecond)
	case "stdio-256KiB-cut":
		label += ", default config: cut to the 40,000-character budget, the whole kept as a stored result"
	}
	b.rows = append(b.rows, row{
		measure: label,
		server:  ms(s50) + " / " + ms(s99),
		floor:   ms(f50) + " / " + ms(f99),
		compare: "+" + ms(s50-f50) + " p50",
		target:  target,
		verdict: met,
	})
	return nil
}

func sizeLabel(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return itoa(n>>20) + " MiB"
	}
	if n%(1<<10) == 0 {
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " B"
}

// inflightCalls writes -inflight calls at once on one stdio connection to an
// upstream that takes -delay, and times until the last answer; the floor makes
// as many direct POSTs at once.
func (b *bench) inflightCalls(ctx context.Context) error {
	p, c, idle, err := b.startStdio("inflight", nil)
	if err != nil {
		return err
	}
	body := proxyBody("/delay/" + itoa(int(b.o.delay/time.Millisecond)))
	params := make([][]byte, b.o.inflight)
	for i := range params {
		params[i] = callParams(body)
	}
	bufs := make([]bytes.Buffer, b.o.inflight)
	var server, floor []time.Duration
	var cpu0 time.Duration
	for i := range b.o.rounds + 1 {
		if i == 1 {
			cpu0 = cpuTime(p.pid())
		}
		if ctx.Err() != nil {
			_ = p.stop()
			return ctx.Err()
		}
		t0 := time.Now()
		if err := c.callMany("tools/call", params); err != nil {
			_ = p.stop()
			return fmt.Errorf("server: %w%s", err, lastLines(p.stderr.String()))
		}
		t1 := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, b.o.inflight)
		for j := range b.o.inflight {
			wg.Go(func() { errs[j] = b.floor.call(body, &bufs[j]) })
		}
		wg.Wait()
		t2 := time.Now()
		if err := errors.Join(errs...); err != nil {
			_ = p.stop()
			return err
		}
		if i > 0 { // the first round dials the connections
			server = append(server, t1.Sub(t0))
			floor = append(floor, t2.Sub(t1))
		}
	}
	if err := b.finish("inflight", p, idle, (cpuTime(p.pid())-cpu0)/time.Duration(b.o.rounds*b.o.inflight)); err != nil {
		return err
	}
	s, f := median(server), median(floor)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("%d calls in flight on one stdio connection × %s upstream: wall, median of %d", b.o.inflight, b.o.delay, b.o.rounds),
		server:  ms(s),
		floor:   ms(f),
		compare: "+" + ms(s-f),
		target:  "≤ 215 ms",
		verdict: verdict(s <= 215*time.Millisecond),
	})
	return nil
}
