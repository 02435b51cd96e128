// Command loadtest measures what composio-proxy-mcp adds on top of the call it
// forwards, for capacity planning. From the repository root:
//
//	go run ./examples/loadtest
//
// It builds the server binary (or takes -server), starts the fake Composio
// backend (client/composiotest) on loopback, and measures, side by side in
// one run, the server against the floor: a direct HTTP POST of the same
// proxy_execute body to the same fake backend, which is the request the proxy
// itself makes and so the least any proxy can cost.
//
//   - cold start: spawn → initialize → tools/list answered over stdio (median
//     of -cold), against a process that answers with canned bytes;
//   - per-call latency over stdio, sequential, p50 and p99, at 1 KiB and
//     256 KiB responses, and the overhead over the floor;
//   - -inflight calls in flight on one stdio connection against an upstream
//     that takes -delay: wall time;
//   - streamable HTTP throughput from -sessions sessions for -duration:
//     calls/s, p99 and the share of the floor's calls/s;
//   - idle and peak RSS of the server, and its CPU time per call, in every
//     scenario, one of which forwards a 4 MiB base64 binary_body.
//
// Every scenario runs a fresh server process, so each peak (VmHWM) belongs to
// one scenario. The stdio client is raw pipes and the HTTP client reads bytes
// without decoding JSON, so the client side stays cheap. The output is a
// markdown table; progress goes to stderr.
//
// With -profile DIR the server is built with -tags loadtestprofile and writes
// a CPU and an allocation profile per scenario to DIR, for go tool pprof.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// cannedEnv, when set in the environment, makes this program the cold-start
// floor instead: a process that answers initialize and tools/list with the
// canned lines in the file it names.
const cannedEnv = "LOADTEST_CANNED_REPLIES"

func main() {
	if path := os.Getenv(cannedEnv); path != "" {
		serveCanned(path)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(1)
	}
}

type options struct {
	server     string
	serverArgs []string
	cold       int
	calls      int
	largeCalls int
	inflight   int
	delay      time.Duration
	rounds     int
	sessions   int
	duration   time.Duration
	binary     int
	static     bool
	profileDir string
	only       *regexp.Regexp
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "server binary to measure (default: build the repository's)")
	extra := fs.String("server-args", "", "extra flags for every server run, space-separated (e.g. \"--log-level warn\")")
	fs.IntVar(&o.cold, "cold", 20, "cold starts to take the median of")
	fs.IntVar(&o.calls, "calls", 2000, "sequential calls at 1 KiB (each also made once to the floor)")
	fs.IntVar(&o.largeCalls, "large-calls", 300, "sequential calls at 256 KiB")
	fs.IntVar(&o.inflight, "inflight", 50, "calls in flight at once on one stdio connection")
	fs.DurationVar(&o.delay, "delay", 200*time.Millisecond, "upstream latency of the in-flight calls")
	fs.IntVar(&o.rounds, "rounds", 5, "in-flight rounds to take the median of (after one warm-up round)")
	fs.IntVar(&o.sessions, "sessions", 8, "concurrent streamable HTTP sessions")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long the HTTP throughput load runs (server and floor each)")
	fs.IntVar(&o.binary, "binary-bytes", 4<<20, "decoded size of the base64 binary_body upload")
	fs.BoolVar(&o.static, "static", false, "build the server with CGO_ENABLED=0 (a static binary, as release builds are) instead of as go build does by default")
	fs.StringVar(&o.profileDir, "profile", "", "write the server's CPU and allocation profiles per scenario to this directory")
	only := fs.String("run", "", "run only the scenarios whose names match this regular expression: cold, stdio-1KiB, stdio-256KiB, stdio-256KiB-cut, inflight, http, binary")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.serverArgs = strings.Fields(*extra)
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return o, fmt.Errorf("-run: %w", err)
		}
		o.only = re
	}
	if o.cold < 1 || o.calls < 1 || o.largeCalls < 1 || o.inflight < 1 || o.rounds < 1 || o.sessions < 1 || o.duration <= 0 || o.binary < 1 {
		return o, errors.New("counts and durations must be positive")
	}
	return o, nil
}

// bench holds what every scenario shares.
type bench struct {
	o     options
	bin   string
	tmp   string
	fake  *composiotest.Server
	env   []string
	floor *floorClient
	log   io.Writer
	rows  []row
	mems  []memRow
	notes []string
}

// row is a line of the main table.
type row struct {
	measure, server, floor, compare, target, verdict string
}

// memRow is a scenario's line in the memory table.
type memRow struct {
	scenario   string
	idle, peak int64
	cpuPerCall time.Duration // server CPU per measured call, 0 if not measured
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "cpm-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{o: o, tmp: tmp, log: stderr}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
		if b.o.profileDir, err = filepath.Abs(o.profileDir); err != nil {
			return err
		}
	}
	b.bin = o.server
	if b.bin == "" {
		fmt.Fprintln(stderr, "building the server…")
		if b.bin, err = buildServer(ctx, tmp, o.profileDir != "", o.static); err != nil {
			return err
		}
	}
	fake, err := composiotest.Start(composiotest.WithMaxRecorded(0))
	if err != nil {
		return err
	}
	defer fake.Close()
	b.fake = fake
	b.env = serverEnv(fake.URL)
	b.floor = &floorClient{
		hc:     newHTTPClient(max(o.inflight, o.sessions)),
		url:    fake.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/proxy_execute",
		apiKey: composiotest.APIKey,
	}

	b.notes = append(b.notes, "Load average (1, 5, 15 min) at the start: "+loadAvg()+". Other work on the machine skews absolute numbers; compare server and floor within one run.")
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"cold", b.coldStart},
		{"stdio-1KiB", func(ctx context.Context) error {
			return b.sequential(ctx, "stdio-1KiB", 1<<10, o.calls, nil, "≤ 0.15 ms over the floor")
		}},
		{"stdio-256KiB", func(ctx context.Context) error {
			return b.sequential(ctx, "stdio-256KiB", 256<<10, o.largeCalls, []string{"--max-result-bytes", "0"}, "≤ 4 ms")
		}},
		{"stdio-256KiB-cut", func(ctx context.Context) error {
			return b.sequential(ctx, "stdio-256KiB-cut", 256<<10, o.largeCalls, nil, "")
		}},
		{"inflight", b.inflightCalls},
		{"http", b.httpThroughput},
		{"binary", b.binaryUpload},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if o.only != nil && !o.only.MatchString(s.name) {
			continue
		}
		fmt.Fprintf(stderr, "%s…\n", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.notes = append(b.notes, "Load average at the end: "+loadAvg()+".")
	b.print(stdout)
	return nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// serverEnv is the server's environment: the caller's, without any Composio
// setting, plus the fake backend's.
func serverEnv(baseURL string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPOSIO_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"COMPOSIO_API_KEY="+composiotest.APIKey,
		"COMPOSIO_SESSION_ID="+composiotest.SessionID,
		"COMPOSIO_BASE_URL="+baseURL,
	)
}

func (b *bench) profile(scenario string) string {
	if b.o.profileDir == "" {
		return ""
	}
	return filepath.Join(b.o.profileDir, scenario)
}

// proxyBody is a proxy_execute body, as the floor sends it and as the proxy
// sends it upstream.
func proxyBody(endpoint string) []byte {
	return []byte(`{"toolkit_slug":"github","endpoint":"` + endpoint + `","method":"GET"}`)
}

// callParams wraps a proxy_execute body as tools/call params.
func callParams(body []byte) []byte {
	return append(append([]byte(`{"name":"proxy_execute","arguments":`), body...), '}')
}

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
	time.Sleep(100 * time.Millisecond) // let start-up garbage settle
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

// sequential makes n calls of one response size, one at a time, alternating
// the server and the floor.
func (b *bench) sequential(ctx context.Context, scenario string, size, n int, args []string, target string) error {
	p, c, idle, err := b.startStdio(scenario, args)
	if err != nil {
		return err
	}
	body := proxyBody("/bytes/" + itoa(size))
	params := callParams(body)
	var buf bytes.Buffer
	server := make([]time.Duration, 0, n)
	floor := make([]time.Duration, 0, n)
	warm := min(50, n)
	var cpu0 time.Duration
	for i := range n + warm {
		if i == warm {
			cpu0 = cpuTime(p.pid())
		}
		if ctx.Err() != nil {
			_ = p.stop()
			return ctx.Err()
		}
		st, ft, err := b.pair(p, c, params, body, &buf)
		if err != nil {
			return err
		}
		if i >= warm {
			server = append(server, st)
			floor = append(floor, ft)
		}
	}
	if err := b.finish(scenario, p, idle, (cpuTime(p.pid())-cpu0)/time.Duration(n)); err != nil {
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
		label += ", default config: cut at 100 KiB, the whole kept as a resource"
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
	time.Sleep(100 * time.Millisecond)
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

// binaryUpload forwards a base64 binary_body of -binary-bytes a few times and
// records the server's peak memory.
func (b *bench) binaryUpload(ctx context.Context) error {
	p, c, idle, err := b.startStdio("binary", nil)
	if err != nil {
		return err
	}
	data := make([]byte, b.o.binary)
	for i := range data {
		data[i] = byte(i * 7)
	}
	body := []byte(`{"toolkit_slug":"github","endpoint":"/upload","method":"POST","binary_body":{"content_type":"application/octet-stream","base64":"` +
		base64.StdEncoding.EncodeToString(data) + `"}}`)
	params := callParams(body)
	var buf bytes.Buffer
	var server, floor []time.Duration
	cpu0 := cpuTime(p.pid())
	for range 3 {
		if ctx.Err() != nil {
			_ = p.stop()
			return ctx.Err()
		}
		st, ft, err := b.pair(p, c, params, body, &buf)
		if err != nil {
			return err
		}
		server = append(server, st)
		floor = append(floor, ft)
	}
	if err := b.finish("binary", p, idle, (cpuTime(p.pid())-cpu0)/3); err != nil {
		return err
	}
	s, f := median(server), median(floor)
	b.rows = append(b.rows, row{
		measure: fmt.Sprintf("stdio, %s base64 binary_body upload, p50 of 3", sizeLabel(b.o.binary)),
		server:  ms(s),
		floor:   ms(f),
		compare: "+" + ms(s-f),
	})
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// print writes the report as markdown.
func (b *bench) print(w io.Writer) {
	fmt.Fprintf(w, "## composio-proxy-mcp load test\n\n")
	fmt.Fprintf(w, "Machine: %d CPUs, %s; %s %s/%s. Server: %s. Floor: a direct HTTP POST of the same proxy_execute body to the same fake backend (cold start: a process that answers with canned bytes).\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, b.bin)
	fmt.Fprintln(w, "| measure | server | floor | server vs floor | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.measure, r.server, r.floor, r.compare, r.target, r.verdict)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| server process | idle RSS (after initialize + tools/list) | peak RSS (VmHWM) | server CPU per call |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, m := range b.mems {
		idle, peak := mib(m.idle), mib(m.peak)
		switch m.scenario {
		case "stdio-1KiB":
			idle += " (target ≤ 12 MiB: " + verdict(m.idle <= 12<<20) + ")"
		case "http":
			peak += " (target ≤ 30 MiB: " + verdict(m.peak <= 30<<20) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", m.scenario, idle, peak, ms(m.cpuPerCall))
	}
	for _, n := range b.notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	if b.o.profileDir != "" {
		fmt.Fprintf(w, "\nProfiles: %s/<scenario>.cpu.pprof and .allocs.pprof (go tool pprof -top BINARY FILE).\n", b.o.profileDir)
	}
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuModel is the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}
