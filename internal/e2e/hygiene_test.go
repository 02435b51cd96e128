package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// trackedBackend is the fake Composio behind a wrapper that sees each
// proxy_execute call arrive and end, and counts open connections.
type trackedBackend struct {
	*httptest.Server

	conns     atomic.Int64 // open connections
	aborted   atomic.Int64 // /delay calls whose client went away
	completed atomic.Int64 // /delay calls that ran to the end

	mu      sync.Mutex
	arrived map[string]chan struct{} // by the call's "i" query parameter
}

func newTrackedBackend(t *testing.T) *trackedBackend {
	t.Helper()
	b := &trackedBackend{arrived: map[string]chan struct{}{}}
	fake := composiotest.NewHandler(composiotest.WithAPIKey(secretKey), composiotest.WithMaxRecorded(0))
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var call struct {
			Endpoint   string `json:"endpoint"`
			Parameters []struct {
				Name, Value string
			} `json:"parameters"`
		}
		json.Unmarshal(body, &call)
		for _, p := range call.Parameters {
			if p.Name == "i" {
				b.mu.Lock()
				if ch, ok := b.arrived[p.Value]; ok {
					close(ch)
					delete(b.arrived, p.Value)
				}
				b.mu.Unlock()
			}
		}
		fake.ServeHTTP(w, r)
		if strings.HasPrefix(call.Endpoint, "/delay/") {
			if r.Context().Err() != nil {
				b.aborted.Add(1)
			} else {
				b.completed.Add(1)
			}
		}
	}))
	b.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			b.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			b.conns.Add(-1)
		}
	}
	b.Start()
	t.Cleanup(b.Close)
	return b
}

// expect returns a channel closed when the call with parameter i arrives.
func (b *trackedBackend) expect(i string) <-chan struct{} {
	ch := make(chan struct{})
	b.mu.Lock()
	b.arrived[i] = ch
	b.mu.Unlock()
	return ch
}

func openFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// goroutineHeader starts each goroutine of a traceback: "goroutine 7 [select]:"
// or, in newer runtimes, "goroutine 7 gp=0x… m=nil [select]:".
var goroutineHeader = regexp.MustCompile(`(?m)^goroutine [1-9]\d* [^\n]*\[`)

// goroutines makes the server dump its goroutines with SIGQUIT, which ends
// it, and counts them.
func dumpGoroutineCount(t *testing.T, c *mcpclient.Client, cmd *exec.Cmd, stderr *lockedBuffer) int {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	// Closing the client closes stdin, which starts a shutdown: wait until the
	// dump is done and the process has exited (a zombie until reaped) first.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if err != nil {
			break
		}
		// pid (comm) state …: comm may hold spaces, so look after the last ')'.
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Close() // reaps the process and finishes copying its stderr
	n := len(goroutineHeader.FindAllStringIndex(stderr.String(), -1))
	if n == 0 {
		t.Fatalf("no goroutine dump on stderr:\n%s", lastBytes(stderr.String()))
	}
	return n
}

// TestCancelledCallsReleaseResources cancels 1,000 calls mid-flight over one
// stdio connection (each once its upstream request has arrived at the fake,
// which would hold it for 5 s) and checks that every upstream request is
// aborted, the server keeps answering, and its file descriptors, upstream
// connections and goroutines come back to where a fresh server's are.
func TestCancelledCallsReleaseResources(t *testing.T) {
	t.Parallel()
	const (
		calls       = 1000
		concurrency = 50
	)
	backend := newTrackedBackend(t)
	ctx := testContext(t, 50*time.Second)
	okCall := func(c *mcpclient.Client) {
		t.Helper()
		res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
		if err != nil || res.IsError {
			t.Fatalf("call: %v %+v", err, res)
		}
	}

	// A fresh server, for the goroutine count to compare with.
	// GOTRACEBACK=all makes SIGQUIT dump every goroutine.
	dumping := launch{env: append(serverEnv(backend.URL), "GOTRACEBACK=all")}
	fresh, freshCmd, freshErr := dumping.stdioClient(t)
	initialize(t, ctx, fresh)
	okCall(fresh)

	c, cmd, stderr := dumping.stdioClient(t)
	pid := cmd.Process.Pid
	initialize(t, ctx, c)
	okCall(c)
	time.Sleep(200 * time.Millisecond)
	baseFDs, err := openFDs(pid)
	if err != nil {
		t.Fatal(err)
	}
	baseConns := backend.conns.Load()
	baseStatus, _ := readProcMem(pid)

	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range concurrency {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > calls {
					return
				}
				i := strconv.FormatInt(n, 10)
				arrived := backend.expect(i)
				callCtx, cancelCall := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() {
					_, err := callTool(callCtx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/delay/5000", "method": "GET",
						"parameters": []any{map[string]any{"name": "i", "value": i, "type": "query"}}})
					done <- err
				}()
				select {
				case <-arrived:
				case err := <-done:
					cancelCall()
					if failures.Add(1) <= 5 {
						t.Errorf("call %s ended before reaching the backend: %v", i, err)
					}
					continue
				case <-ctx.Done():
					cancelCall()
					return
				}
				cancelCall()
				if err := <-done; !errors.Is(err, context.Canceled) {
					if failures.Add(1) <= 5 {
						t.Errorf("call %s: want context.Canceled, got %v", i, err)
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d calls cancelled in %s", calls, time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatal("ran out of time")
	}

	// Every upstream request is aborted, well before its 5 s are up.
	deadline := time.Now().Add(4 * time.Second)
	for backend.aborted.Load() < calls && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a, done := backend.aborted.Load(), backend.completed.Load(); a != calls || done != 0 {
		t.Errorf("upstream requests: %d aborted, %d ran to the end; want all %d aborted", a, done, calls)
	}

	// The server still answers.
	okCall(c)

	// File descriptors and upstream connections return to the baseline: no
	// connection is kept for a cancelled call beyond the idle pool.
	var fds int
	deadline = time.Now().Add(5 * time.Second)
	for {
		fds, err = openFDs(pid)
		if err != nil {
			t.Fatal(err)
		}
		if fds <= baseFDs+2 && backend.conns.Load() <= baseConns+2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, _ := readProcMem(pid)
	t.Logf("server fds %d → %d; upstream connections %d → %d; RSS %s → %s; threads %d → %d",
		baseFDs, fds, baseConns, backend.conns.Load(), fmtMiB(baseStatus.rss), fmtMiB(st.rss), baseStatus.threads, st.threads)
	if fds > baseFDs+2 {
		t.Errorf("server holds %d fds, %d before the cancelled calls", fds, baseFDs)
	}
	if n := backend.conns.Load(); n > baseConns+2 {
		t.Errorf("%d upstream connections open, %d before the cancelled calls", n, baseConns)
	}

	// Goroutines: no more than a fresh server that made one call.
	want := dumpGoroutineCount(t, fresh, freshCmd, freshErr)
	got := dumpGoroutineCount(t, c, cmd, stderr)
	t.Logf("goroutines: %d in a fresh server, %d after %d cancelled calls", want, got, calls)
	if got > want+5 {
		t.Errorf("%d goroutines after %d cancelled calls, %d in a fresh server: leaked", got, calls, want)
	}
}
