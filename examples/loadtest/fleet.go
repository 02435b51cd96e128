package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/roundrobin"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// fleetReplicas is how many servers share the store in the fleet scenario.
const fleetReplicas = 3

// fleetPeakTarget bounds each replica's peak RSS: stored results live in
// Redis, so a replica's memory does not grow with the calls it served.
const fleetPeakTarget = 64 << 20

// fleetStateKey is the confirm-state key the replicas share.
const fleetStateKey = "loadtest-fleet-state-key-0123456789abcdef"

// fleetMix is the share, in tenths, of each kind of call: small answers,
// large answers that are cut and stored, and query_result reads of stored
// results, which land on any replica.
var fleetMix = []string{"small", "small", "small", "small", "small", "small", "cut", "cut", "read", "read"}

// sizeAnswer is query_result's answer to the jq filter .size: the size last.
var sizeAnswer = regexp.MustCompile(`\\n[0-9]+"`)

// fleetRun is one fleet scenario's state.
type fleetRun struct {
	mu     sync.Mutex
	stored []string // ids of stored results, read back at random
	lat    map[string][]time.Duration
	failed int
	first  []string // the first failures, for the report
}

func (f *fleetRun) record(kind string, d time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.failed++
		if len(f.first) < 3 {
			f.first = append(f.first, kind+": "+err.Error())
		}
		return
	}
	f.lat[kind] = append(f.lat[kind], d)
}

func (f *fleetRun) keep(id string) {
	f.mu.Lock()
	f.stored = append(f.stored, id)
	f.mu.Unlock()
}

// recentStored is how many of the latest stored results the reads pick
// from: the caller's byte quota (--result-quota-per-caller) evicts the oldest, as
// it should, so a read of any old one would fail by design.
const recentStored = 32

// pickStored is one of the latest stored results' ids at random, "" when
// none is kept yet.
func (f *fleetRun) pickStored(r *rand.Rand) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(len(f.stored), recentStored)
	if n == 0 {
		return ""
	}
	return f.stored[len(f.stored)-1-r.IntN(n)]
}

// fleet runs three replicas sharing one redis-server behind a round-robin
// proxy, and -fleet-clients clients making -fleet-calls calls in all.
func (b *bench) fleet(ctx context.Context) error {
	if redistest.Binary() == "" {
		if ciSet() {
			return errors.New("redis-server is not installed: CI installs it (.ci/run)")
		}
		b.notes = append(b.notes, "fleet: skipped, no redis-server on PATH (apt-get install -y redis-server).")
		return nil
	}
	redis, err := redistest.Run(b.tmp)
	if err != nil {
		return err
	}
	defer redis.Stop()
	env := make([]string, 0, len(b.env)+2)
	for _, kv := range b.env {
		if !strings.HasPrefix(kv, "COMPOSIO_SESSION_ID=") {
			env = append(env, kv)
		}
	}
	env = append(env, "COMPOSIO_USER_ID="+composiotest.UserID, "COMPOSIO_MCP_STATE_KEY="+fleetStateKey)
	hc := newHTTPClient(b.o.fleetClients)
	var replicas []*proc
	var addrs []string
	defer func() {
		for _, p := range replicas {
			_ = p.stop()
		}
	}()
	for range fleetReplicas {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		args := append(append([]string{}, b.o.serverArgs...), "--transport", "http", "--listen", addr, "--store", redis.URL(), "--rate-limit", "0", "--log-level", "warn")
		p, err := spawn(b.bin, env, args, false, "")
		if err != nil {
			return err
		}
		replicas = append(replicas, p)
		if err := waitHealthy(hc, "http://"+addr, p); err != nil {
			return err
		}
		addrs = append(addrs, addr)
	}
	rr := roundrobin.New(addrs, hc.Transport)
	lbAddr, lb, err := serveLoopback(rr)
	if err != nil {
		return err
	}
	defer lb.Close()

	run := &fleetRun{lat: map[string][]time.Duration{}}
	var next atomic.Int64
	worker := func(w int) {
		c := &modernClient{hc: hc, url: "http://" + lbAddr + "/mcp"}
		r := rand.New(rand.NewPCG(uint64(w), 1))
		for ctx.Err() == nil {
			i := next.Add(1)
			if i > int64(b.o.fleetCalls) {
				return
			}
			kind := fleetMix[i%int64(len(fleetMix))]
			id := ""
			if kind == "read" {
				if id = run.pickStored(r); id == "" {
					kind = "small"
				}
			}
			t0 := time.Now()
			var answer []byte
			var err error
			switch kind {
			case "small":
				_, err = c.callTool("proxy_execute", proxyBody("/bytes/1024"))
			case "cut":
				answer, err = c.callTool("proxy_execute", proxyBody(fmt.Sprintf("/bytes/%d", 60000+r.IntN(60000))))
				if err == nil {
					if sid, ok := storedResult(answer); ok {
						run.keep(sid)
					} else {
						err = fmt.Errorf("a large answer was not cut and stored: %.200s", answer)
					}
				}
			case "read":
				answer, err = c.callTool("query_result", []byte(`{"result":"`+id+`","jq":".size"}`))
				if err == nil && !sizeAnswer.Match(answer) {
					err = fmt.Errorf("query_result did not give the size: %.200s", answer)
				}
			}
			run.record(kind, time.Since(t0), err)
		}
	}
	// A warm-up of a few calls per replica, then the RSS before.
	warm := &modernClient{hc: hc, url: "http://" + lbAddr + "/mcp"}
	for range 3 * fleetReplicas {
		if _, err := warm.callTool("proxy_execute", proxyBody("/bytes/1024")); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	before := make([]int64, len(replicas))
	var cpu0 time.Duration
	for i, p := range replicas {
		before[i] = vmRSS(p.pid())
		cpu0 += cpuTime(p.pid())
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range b.o.fleetClients {
		wg.Go(func() { worker(w) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}
	var cpu time.Duration
	for _, p := range replicas {
		cpu += cpuTime(p.pid())
	}
	b.reportFleet(run, rr, replicas, before, elapsed, (cpu-cpu0)/time.Duration(max(b.o.fleetCalls, 1)))
	return nil
}

// reportFleet adds the fleet's rows and notes to the report.
func (b *bench) reportFleet(run *fleetRun, rr *roundrobin.Proxy, replicas []*proc, before []int64, elapsed, cpuPerCall time.Duration) {
	var all []time.Duration
	var kinds []string
	for _, kind := range []string{"small", "cut", "read"} {
		l := run.lat[kind]
		all = append(all, l...)
		kinds = append(kinds, fmt.Sprintf("%s %d (p50 %s, p99 %s)", kind, len(l), ms(median(l)), ms(percentile(l, 0.99))))
	}
	done := len(all) + run.failed
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("fleet: %d replicas + Redis behind a round-robin proxy, %d clients, %d calls: calls/s (p50 / p99), failures", fleetReplicas, b.o.fleetClients, done),
		server:  fmt.Sprintf("%.0f/s (%s / %s), %d failed", float64(done)/elapsed.Seconds(), ms(median(all)), ms(percentile(all, 0.99)), run.failed),
		floor:   "—",
		compare: "—",
		target:  "0 failures",
		verdict: verdict(run.failed == 0 && done == b.o.fleetCalls),
	})
	var rss []string
	var peak int64
	sent, total := rr.Sent(), 0
	for _, n := range sent {
		total += n
	}
	for i, p := range replicas {
		m, _ := readMem(p.pid())
		peak = max(peak, m.hwm)
		b.mems = append(b.mems, memRow{scenario: fmt.Sprintf("fleet replica %c (idle: after a warm-up)", 'A'+i), idle: before[i], peak: m.hwm, cpuPerCall: cpuPerCall})
		rss = append(rss, fmt.Sprintf("%c %s → %s (peak %s, %s of the requests)", 'A'+i, mib(before[i]), mib(m.rss), mib(m.hwm), pctOf(sent[i], total)))
	}
	b.rows = append(b.rows, row{
		measure: "fleet: peak RSS (VmHWM) of the largest replica",
		server:  mib(peak), floor: "—", compare: "—",
		target:  "≤ " + mib(fleetPeakTarget),
		verdict: verdict(peak <= fleetPeakTarget),
	})
	b.notes = append(b.notes, fmt.Sprintf("Fleet (server CPU per call: the three replicas' CPU over the calls): %s in %.1f s; calls by kind: %s; %d results stored, reads picking among the latest %d, on any replica. VmRSS per replica before → after the run: %s.",
		pctOf(len(all), done)+" succeeded", elapsed.Seconds(), strings.Join(kinds, "; "), len(run.stored), recentStored, strings.Join(rss, "; ")))
	if len(run.first) > 0 {
		b.notes = append(b.notes, "Fleet: first failures: "+strings.Join(run.first, " | "))
	}
}
