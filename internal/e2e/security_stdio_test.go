package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// These tests drive the built binary over stdio as a client that misbehaves
// with its end of the pipes: it stops reading stdout, closes it, or signals
// the process twice. The process must end, and say why on stderr.

// pipedStdio is the binary with stdin and stdout on pipes the test holds;
// stdout is read only when the test says so.
type pipedStdio struct {
	*proc
	out *bufio.Reader
}

// The settings go in the environment, which an older binary ignores, so that
// each test also runs (and fails) against it.
func startPipedStdio(t *testing.T, env ...string) *pipedStdio {
	t.Helper()
	p := &pipedStdio{proc: launch{env: env}.start(t, nil)}
	p.out = bufio.NewReaderSize(p.stdout, 1<<20)
	p.send(t, initLine, initdLine)
	if _, err := p.out.ReadBytes('\n'); err != nil {
		t.Fatalf("reading the initialize answer: %v; stderr:\n%s", err, p.stderr.String())
	}
	return p
}

func (p *pipedStdio) send(t *testing.T, lines ...string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatalf("writing to stdin: %v; stderr:\n%s", err, p.stderr.String())
	}
}

// bigAnswers fills the stdout pipe: 300 calls whose answers (about 100 KiB
// each, the default cut) are more than any pipe buffer holds.
func bigAnswers(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = toolCallLine(100+i, `{"toolkit_slug":"github","endpoint":"/bytes/200000","method":"GET"}`)
	}
	return lines
}

// TestStdioExitsWhenClientStopsReadingStdout: after EOF on stdin or a signal,
// answers that cannot be written within the grace period are dropped and the
// process exits, saying so, instead of waiting forever on a blocked write.
func TestStdioExitsWhenClientStopsReadingStdout(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	for _, end := range []string{"eof", "sigterm"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			p := startPipedStdio(t, "COMPOSIO_MCP_SANDBOX=true", "COMPOSIO_MCP_STDIO_WRITE_GRACE="+grace.String())
			p.send(t, bigAnswers(300)...)
			// Let the calls run and their answers back up behind the pipe.
			p.send(t, `{"jsonrpc":"2.0","id":"last","method":"ping"}`)
			time.Sleep(500 * time.Millisecond)
			start := time.Now()
			if end == "eof" {
				p.stdin.Close()
			} else {
				p.cmd.Process.Signal(syscall.SIGTERM)
			}
			took := p.waitExit(t, start, grace+8*time.Second)
			t.Logf("exited %s after %s (grace %s)", took.Round(10*time.Millisecond), end, grace)
			if code := p.exitCode(t); code != 2 {
				t.Errorf("exit status %d, want 2 (answers were dropped); stderr:\n%s", code, lastBytes(p.stderr.String()))
			}
			if s := p.stderr.String(); !strings.Contains(s, "stdout not read for 1s") || !strings.Contains(s, "answers dropped") {
				t.Errorf("stderr does not say why the process ended:\n%s", lastBytes(s))
			}
		})
	}
}

// TestStdioSecondSignalExitsAtOnce: a second SIGTERM or SIGINT ends the
// process without waiting for the drain, with the conventional status.
func TestStdioSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			// A long grace: only the second signal can end it quickly.
			p := startPipedStdio(t, "COMPOSIO_MCP_SANDBOX=true", "COMPOSIO_MCP_STDIO_WRITE_GRACE=1m")
			p.send(t, bigAnswers(300)...)
			time.Sleep(500 * time.Millisecond)
			p.cmd.Process.Signal(sig)
			// Signals sent close together may reach a busy process as one:
			// the second is sent once the first has been taken.
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr.String(), "finishing the calls in flight"); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the first %s was not taken; stderr:\n%s", sig, lastBytes(p.stderr.String()))
				}
			}
			start := time.Now()
			p.cmd.Process.Signal(sig)
			took := p.waitExit(t, start, 5*time.Second)
			t.Logf("exited %s after the second %s", took.Round(time.Millisecond), sig)
			if code, want := p.exitCode(t), 128+int(sig); code != want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, want, lastBytes(p.stderr.String()))
			}
			if s := p.stderr.String(); !strings.Contains(s, "second "+os.Signal(sig).String()) {
				t.Errorf("stderr does not say why:\n%s", lastBytes(s))
			}
		})
	}
}

// TestStdioClosedStdoutExitsWithMessage: a write to a stdout the client
// closed ends the process with a line on stderr and status 2, not a silent
// death by SIGPIPE; stdin stays open, so nothing else would end it.
func TestStdioClosedStdoutExitsWithMessage(t *testing.T) {
	t.Parallel()
	p := startPipedStdio(t, "COMPOSIO_MCP_SANDBOX=true")
	p.stdout.Close()
	start := time.Now()
	for i := 0; i < 3; i++ {
		// stdin may close under the writes once the process has gone.
		io.WriteString(p.stdin, `{"jsonrpc":"2.0","id":`+strconv.Itoa(i)+`,"method":"ping"}`+"\n")
	}
	took := p.waitExit(t, start, 10*time.Second)
	t.Logf("exited %s after stdout was closed", took.Round(time.Millisecond))
	if code := p.exitCode(t); code != 2 {
		t.Errorf("exit status %d, want 2; stderr:\n%s", code, lastBytes(p.stderr.String()))
	}
	if s := p.stderr.String(); !strings.Contains(s, "writing to stdout") || !strings.Contains(s, "broken pipe") {
		t.Errorf("stderr does not say stdout was closed:\n%s", lastBytes(s))
	}
}

// peakRSS is the process's peak resident set (VmHWM) in MiB.
func peakRSS(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb / 1024
		}
	}
	t.Skip("no VmHWM in /proc/PID/status")
	return 0
}

// TestStdioQueuedBytesBoundMemory: 24 calls of 2 MiB each, sent at once to
// a slow upstream, are held to the queue's byte budget (here 4 MiB) rather
// than all read in at once; every one is still answered.
func TestStdioQueuedBytesBoundMemory(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 48 MiB")
	}
	fake := composiotest.NewServer(composiotest.WithAPIKey(secretKey), composiotest.WithLatency(100*time.Millisecond))
	t.Cleanup(fake.Close)
	const calls, size = 24, 2 << 20
	p := startPipedStdio(t, append(serverEnv(fake.URL), "COMPOSIO_MCP_STDIO_QUEUE_BYTES=4194304")...)
	line := toolCallLine("big", `{"toolkit_slug":"github","endpoint":"/status/200","method":"POST","body":{"x":"`+strings.Repeat("a", size)+`"}}`)
	answered := make(chan int, 1)
	go func() {
		n := 0
		for n < calls {
			b, err := p.out.ReadBytes('\n')
			if err != nil {
				break
			}
			if strings.Contains(string(b), `"id":"big"`) {
				n++
			}
		}
		answered <- n
	}()
	start := time.Now()
	for i := 0; i < calls; i++ {
		p.send(t, line)
	}
	select {
	case n := <-answered:
		if n != calls {
			t.Fatalf("%d of %d calls answered; stderr:\n%s", n, calls, lastBytes(p.stderr.String()))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("not all calls answered; stderr:\n%s", lastBytes(p.stderr.String()))
	}
	peak := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("%d calls of %d MiB: peak RSS %.0f MiB, %s", calls, size>>20, peak, time.Since(start).Round(time.Millisecond))
	// Unbounded, all 24 are read and held at once (217 MiB measured);
	// the 4 MiB budget holds one or two at a time.
	if peak > 80 {
		t.Errorf("peak RSS %.0f MiB with a 4 MiB queue budget", peak)
	}
	p.stdin.Close()
	p.waitExit(t, time.Now(), 15*time.Second)
}
