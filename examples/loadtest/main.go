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
//   - start-up against a plain mcp-go server (examples/loadtest/plain) that
//     lists the same tools: cold start and idle RSS, started alternately;
//   - per-call latency over stdio, sequential, p50 and p99, at 1 KiB and
//     256 KiB responses, and the overhead over the floor;
//   - -inflight calls in flight on one stdio connection against an upstream
//     that takes -delay: wall time;
//   - streamable HTTP throughput from -sessions sessions for -duration:
//     calls/s, p99 and the share of the floor's calls/s;
//   - idle and peak RSS of the server, and its CPU time per call, in every
//     scenario, one of which forwards a 4 MiB base64 binary_body;
//   - a fleet (-run fleet): 3 replicas sharing one redis-server (--store)
//     behind a round-robin proxy with no affinity, -fleet-clients clients
//     making -fleet-calls 2026-07-28 tool calls in all (small answers, large
//     ones cut and stored, query_result reads of stored results landing on
//     any replica): failures, calls/s, p50/p99, and each replica's RSS before
//     and after. Skipped without redis-server, except under CI.
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
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
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
	plain      string
	baselines  []string
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

	fleetCalls, fleetClients int
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "server binary to measure (default: build the repository's)")
	fs.StringVar(&o.plain, "plain", "", "plain mcp-go server binary for the start-up scenario (default: build examples/loadtest/plain)")
	fs.Func("baseline", "another server binary (an older build, say) to start alternately with -server in the start-up scenario; repeatable", func(s string) error {
		o.baselines = append(o.baselines, s)
		return nil
	})
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
	fs.IntVar(&o.fleetCalls, "fleet-calls", 10000, "tool calls in all in the fleet scenario")
	fs.IntVar(&o.fleetClients, "fleet-clients", 32, "concurrent clients in the fleet scenario")
	only := fs.String("run", "", "run only the scenarios whose names match this regular expression: cold, startup, stdio-1KiB, stdio-256KiB, stdio-256KiB-cut, inflight, http, binary, fleet")
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
	if o.cold < 1 || o.calls < 1 || o.largeCalls < 1 || o.inflight < 1 || o.rounds < 1 || o.sessions < 1 || o.duration <= 0 || o.binary < 1 || o.fleetCalls < 1 || o.fleetClients < 1 {
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
		if b.bin, err = build(ctx, tmp, "composio-proxy-mcp", serverPackage, o.profileDir != "", o.static); err != nil {
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
		{"startup", b.startup},
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
		{"fleet", b.fleet},
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
