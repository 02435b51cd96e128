package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"
)

// httpThroughput loads the streamable HTTP transport from -sessions sessions
// for -duration, then the floor from as many goroutines for as long.
func (b *bench) httpThroughput(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append(append([]string{}, b.o.serverArgs...), "--transport", "http", "--listen", addr, "--rate-limit", "0")
	p, err := spawn(b.bin, b.env, args, false, b.profile("http"))
	if err != nil {
		return err
	}
	hc := newHTTPClient(b.o.sessions)
	if err := waitHealthy(hc, "http://"+addr, p); err != nil {
		_ = p.stop()
		return err
	}
	clients := make([]*mcpHTTP, b.o.sessions)
	for i := range clients {
		clients[i] = &mcpHTTP{hc: hc, url: "http://" + addr + "/mcp"}
		if err := clients[i].initialize(); err != nil {
			_ = p.stop()
			return fmt.Errorf("initialize: %w%s", err, lastLines(p.stderr.String()))
		}
	}
	time.Sleep(settle)
	idle, err := readMem(p.pid())
	if err != nil {
		_ = p.stop()
		return err
	}
	body := proxyBody("/bytes/1024")
	params := callParams(body)
	serverCall := func(w int, _ *bytes.Buffer) error {
		_, err := clients[w].call("tools/call", params)
		return err
	}
	floorCall := func(_ int, buf *bytes.Buffer) error { return b.floor.call(body, buf) }
	// A short warm-up of each, then the measured runs.
	if _, _, err := runFor(ctx, 300*time.Millisecond, b.o.sessions, serverCall); err != nil {
		_ = p.stop()
		return fmt.Errorf("server: %w%s", err, lastLines(p.stderr.String()))
	}
	if _, _, err := runFor(ctx, 300*time.Millisecond, b.o.sessions, floorCall); err != nil {
		_ = p.stop()
		return err
	}
	cpu0, self0 := cpuTime(p.pid()), selfCPU()
	sLat, sElapsed, err := runFor(ctx, b.o.duration, b.o.sessions, serverCall)
	serverCPU, loadCPU := cpuTime(p.pid())-cpu0, selfCPU()-self0
	if err != nil {
		_ = p.stop()
		return fmt.Errorf("server: %w%s", err, lastLines(p.stderr.String()))
	}
	fLat, fElapsed, err := runFor(ctx, b.o.duration, b.o.sessions, floorCall)
	if err != nil {
		_ = p.stop()
		return err
	}
	if err := b.finish("http", p, idle, serverCPU/time.Duration(max(len(sLat), 1))); err != nil {
		return err
	}
	b.notes = append(b.notes, fmt.Sprintf("During the HTTP run the server used %.2f CPUs and this load tester (client and fake backend) %.2f, of %d.",
		serverCPU.Seconds()/sElapsed.Seconds(), loadCPU.Seconds()/sElapsed.Seconds(), runtime.NumCPU()))
	sRate := float64(len(sLat)) / sElapsed.Seconds()
	fRate := float64(len(fLat)) / fElapsed.Seconds()
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("streamable HTTP, %d sessions, 1 KiB, %s: calls/s (p50 / p99)", b.o.sessions, b.o.duration),
		server:  fmt.Sprintf("%.0f/s (%s / %s)", sRate, ms(median(sLat)), ms(percentile(sLat, 0.99))),
		floor:   fmt.Sprintf("%.0f/s (%s / %s)", fRate, ms(median(fLat)), ms(percentile(fLat, 0.99))),
		compare: pct(sRate, fRate) + " of the floor",
		target:  "≥ 40 %",
		verdict: verdict(sRate >= 0.4*fRate),
	})
	return nil
}

// runFor runs call from workers goroutines until d has passed and returns
// every call's latency and the time the calls took.
func runFor(ctx context.Context, d time.Duration, workers int, call func(w int, buf *bytes.Buffer) error) ([]time.Duration, time.Duration, error) {
	start := time.Now()
	deadline := start.Add(d)
	lat := make([][]time.Duration, workers)
	errs := make([]error, workers)
	var failed sync.Once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var buf bytes.Buffer
			mine := make([]time.Duration, 0, 4096)
			for {
				select {
				case <-stop:
					lat[w] = mine
					return
				default:
				}
				t0 := time.Now()
				if t0.After(deadline) || ctx.Err() != nil {
					lat[w] = mine
					return
				}
				if err := call(w, &buf); err != nil {
					errs[w] = err
					failed.Do(func() { close(stop) })
					lat[w] = mine
					return
				}
				mine = append(mine, time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	return all, elapsed, ctx.Err()
}
