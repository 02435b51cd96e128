package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// procMem reads the memory and thread figures of a process from
// /proc/<pid>/status; sizes are in bytes.
type procMem struct {
	rss, hwm int64
	threads  int
}

func readProcMem(pid int) (procMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMem{}, err
	}
	var st procMem
	for line := range strings.SplitSeq(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			st.rss = n << 10
		case "VmHWM":
			st.hwm = n << 10
		case "Threads":
			st.threads = int(n)
		}
	}
	if st.rss == 0 {
		return st, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return st, nil
}

// procCPU returns the CPU time (user + system) a process has used, from
// /proc/<pid>/stat, assuming the usual 100 clock ticks per second.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func fmtMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// binaryFlags is the set of flags the binary's --help lists, so that tests can
// pass flags that are being added while they are written.
var binaryFlags = sync.OnceValue(func() map[string]bool {
	cmd, stderr := launch{args: []string{"--help"}}.command()
	out, _ := cmd.Output()
	flags := map[string]bool{}
	for line := range strings.SplitSeq(string(out)+stderr.String(), "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "-"); ok {
			name = strings.TrimPrefix(name, "-")
			if f := strings.Fields(name); len(f) > 0 {
				flags[f[0]] = true
			}
		}
	}
	return flags
})

// TestLoadStreamableHTTP sends 10,000 tool calls from 32 MCP clients, each
// with its own streamable HTTP session, to one server, and checks that every
// call succeeds and that the server's memory stays bounded. It logs the
// throughput, latencies and RSS. Run it alone with
//
//	go test -race -run TestLoadStreamableHTTP -v ./internal/e2e
func TestLoadStreamableHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped in -short mode")
	}
	t.Parallel()
	const (
		clients = 32
		calls   = 10_000
		maxRSS  = 200 << 20
	)
	fake := composiotest.NewServer(composiotest.WithAPIKey(secretKey), composiotest.WithMaxRecorded(0))
	t.Cleanup(fake.Close)
	args := []string{"--transport", "http"}
	if binaryFlags()["rate-limit"] {
		args = append(args, "--rate-limit", "0")
	}
	addr, p := startHTTP(t, serverEnv(fake.URL), args...)
	pid := p.cmd.Process.Pid

	ctx := testContext(t, 90*time.Second)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients}}
	cs := make([]*mcpclient.Client, clients)
	for i := range cs {
		c := startHTTPClient(t, ctx, "http", addr, nil, hc)
		initialize(t, ctx, c)
		cs[i] = c
	}
	base, err := readProcMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	cpu0, _ := procCPU(pid)

	// Sample RSS while the calls run; VmHWM gives the true peak afterwards.
	var peakSampled atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if st, err := readProcMem(pid); err == nil && st.rss > peakSampled.Load() {
				peakSampled.Store(st.rss)
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	var (
		next     atomic.Int64
		failures atomic.Int64
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, calls)
		firstErr []string
	)
	fail := func(msg string) {
		if failures.Add(1) <= 5 {
			mu.Lock()
			firstErr = append(firstErr, msg)
			mu.Unlock()
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			mine := make([]time.Duration, 0, calls/clients+1)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for {
				n := next.Add(1)
				if n > calls {
					return
				}
				i := strconv.FormatInt(n, 10)
				t0 := time.Now()
				res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/load", "method": "GET",
					"parameters": []any{map[string]any{"name": "i", "value": i, "type": "query"}}})
				mine = append(mine, time.Since(t0))
				if err != nil {
					fail(fmt.Sprintf("call %s: %v", i, err))
					if ctx.Err() != nil {
						return
					}
					continue
				}
				var sc struct {
					Status int `json:"status"`
					Data   struct {
						Query map[string]string `json:"query"`
					} `json:"data"`
				}
				b, _ := json.Marshal(res.StructuredContent)
				if err := json.Unmarshal(b, &sc); err != nil || res.IsError || sc.Status != 200 || sc.Data.Query["i"] != i {
					fail(fmt.Sprintf("call %s: isError=%v status=%d i=%q: %.200s", i, res.IsError, sc.Status, sc.Data.Query["i"], resultText(res)))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := procCPU(pid)
	close(stopSampling)
	<-sampled

	for _, e := range firstErr {
		t.Error(e)
	}
	if f := failures.Load(); f > 0 {
		t.Errorf("%d of %d calls failed", f, calls)
	}
	if len(lat) != calls {
		t.Errorf("%d calls made, want %d", len(lat), calls)
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))].Round(10 * time.Microsecond)
	}

	// Let the server settle, then see what it holds on to.
	time.Sleep(500 * time.Millisecond)
	after, err := readProcMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls from %d streamable HTTP sessions in %s: %.0f calls/s; latency p50 %s, p90 %s, p99 %s, max %s",
		calls, clients, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(), pct(0.5), pct(0.9), pct(0.99), pct(1))
	// The clients and the fake backend share the test process (with the race
	// detector on under -race), so throughput says as much about them as about
	// the server; the server's own CPU time per call does not.
	t.Logf("server CPU: %s for %d calls, %s per call", (cpu1 - cpu0).Round(10*time.Millisecond), calls, ((cpu1 - cpu0) / calls).Round(time.Microsecond))
	t.Logf("server RSS: %s after initialize, %s peak sampled, %s VmHWM, %s after the run; threads %d → %d",
		fmtMiB(base.rss), fmtMiB(peakSampled.Load()), fmtMiB(after.hwm), fmtMiB(after.rss), base.threads, after.threads)
	if after.hwm > maxRSS {
		t.Errorf("server peak RSS %s is over %s", fmtMiB(after.hwm), fmtMiB(maxRSS))
	}
	if p.stderr.String() != "" && strings.Contains(p.stderr.String(), "panic") {
		t.Errorf("stderr shows a panic:\n%s", lastBytes(p.stderr.String()))
	}
}
