package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// The harness: every test launches the binary through launch, over raw
// pipes (start, run), under mcp-go's stdio client (stdioClient) or on an HTTP
// transport (startHTTP), against the fake Composio on loopback (backend).

// secretKey stands for a user's real API key: it must never leave the process
// except in the x-api-key header.
const secretKey = "ak_e2e_VERY_SECRET_KEY_0123456789"

// launch is one way to run the binary.
type launch struct {
	prog  string   // the program; binPath when empty (a link to it, say)
	args  []string // its arguments
	env   []string // set on top of the test's environment
	clean bool     // drop the test's COMPOSIO_* settings first
}

// command is the process launch describes, its stderr captured.
func (l launch) command() (*exec.Cmd, *lockedBuffer) {
	prog := l.prog
	if prog == "" {
		prog = binPath
	}
	cmd := exec.Command(prog, l.args...)
	base := os.Environ()
	if l.clean {
		base = cleanEnv()
	}
	cmd.Env = append(base, l.env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	return cmd, stderr
}

// proc is a running server process; the test's cleanup kills it.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser // the write end of its stdin
	stdout *os.File       // the read end of its stdout; nil when start was given a writer
	stderr *lockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit error, once exited is closed
}

// start runs the binary with stdin on a pipe the test holds, and stdout on a
// pipe the test reads (out nil) or into out.
func (l launch) start(t *testing.T, out io.Writer) *proc {
	t.Helper()
	p := &proc{exited: make(chan struct{})}
	p.cmd, p.stderr = l.command()
	var w *os.File
	if out != nil {
		p.cmd.Stdout = out
	} else {
		var err error
		if p.stdout, w, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		p.cmd.Stdout = w
	}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if w != nil {
		w.Close() // the child holds the write end: EOF when it exits
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if p.stdout != nil {
			p.stdout.Close()
		}
	})
	return p
}

// waitExit returns how long after since the process exited, or fails the
// test after limit.
func (p *proc) waitExit(t *testing.T, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	select {
	case <-p.exited:
		return time.Since(since)
	case <-time.After(limit - time.Since(since)):
		t.Fatalf("still running %s later; stderr:\n%s", limit, lastBytes(p.stderr.String()))
		return 0
	}
}

// exitCode is the process's exit status; the test fails if a signal ended it.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	var ee *exec.ExitError
	if p.err == nil {
		return 0
	}
	if !errors.As(p.err, &ee) {
		t.Fatalf("wait: %v", p.err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the process died of %s; stderr:\n%s", ws.Signal(), lastBytes(p.stderr.String()))
	}
	return ee.ExitCode()
}

// run runs the binary to its end with stdin holding exactly stdin (none when
// empty) and returns what it wrote; the test fails if it runs 30 s.
func (l launch) run(t *testing.T, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	cmd, errb := l.command()
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the server did not exit; stderr:\n%s", errb.String())
	}
	return out.String(), errb.String(), err
}

// rawSession runs the binary with the given stdin lines and returns stdout,
// stderr and the exit error once it has exited on EOF.
func rawSession(t *testing.T, env []string, args []string, lines ...string) (stdout, stderr string, err error) {
	t.Helper()
	return launch{args: args, env: env}.run(t, strings.Join(lines, "\n")+"\n")
}

// runBinary runs the binary to completion with a clean environment plus env.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, err := launch{args: args, env: env, clean: true}.run(t, "")
	return stdout, stderr, exitCode(t, err)
}

// exitCode is the status of a process that ended with err.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return 0
}

// startHTTP runs the binary on an HTTP transport and waits for /healthz.
func startHTTP(t *testing.T, env []string, args ...string) (addr string, p *proc) {
	t.Helper()
	addr = freeAddr(t)
	p = launch{args: append([]string{"--listen", addr}, args...), env: env}.start(t, io.Discard)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr, p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("server exited: %s", p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server not healthy: %s", p.stderr.String())
	return
}

// sandboxHTTP starts the binary in sandbox mode on an HTTP transport.
func sandboxHTTP(t *testing.T, args ...string) string {
	t.Helper()
	addr, _ := startHTTP(t, cleanEnv(), append([]string{"--sandbox"}, args...)...)
	return addr
}

// stdioClient runs the binary under mcp-go's stdio client built with opts,
// started but not initialized; the test's cleanup closes it. The process is
// returned for its pid and signals.
func (l launch) stdioClient(t *testing.T, opts ...mcpclient.ClientOption) (*mcpclient.Client, *exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd, stderr := l.command()
	tr := transport.NewStdioWithOptions(cmd.Path, nil, l.args,
		transport.WithCommandFunc(func(context.Context, string, []string, []string) (*exec.Cmd, error) {
			return cmd, nil
		}))
	c := mcpclient.NewClient(tr, opts...)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cmd, stderr
}

// stdioClient starts the binary on stdio and initializes it; the server's
// stderr is returned for inspection.
func stdioClient(t *testing.T, ctx context.Context, env []string, args ...string) (*mcpclient.Client, *lockedBuffer) {
	t.Helper()
	c, _, stderr := launch{args: args, env: env}.stdioClient(t)
	initialize(t, ctx, c)
	return c, stderr
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// backend starts a fake Composio that accepts only secretKey.
func backend(t *testing.T) *composiotest.Server {
	t.Helper()
	fake := composiotest.NewServer(composiotest.WithAPIKey(secretKey))
	t.Cleanup(fake.Close)
	return fake
}

// serverEnv points the server at the fake at baseURL with secretKey.
func serverEnv(baseURL string) []string {
	return []string{
		"COMPOSIO_API_KEY=" + secretKey,
		"COMPOSIO_SESSION_ID=" + composiotest.SessionID,
		"COMPOSIO_BASE_URL=" + baseURL,
	}
}

// cleanEnv is the test's environment without any Composio settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPOSIO_") {
			env = append(env, kv)
		}
	}
	return env
}

// lockedBuffer is a buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lastBytes is the end of a long text, for failure messages.
func lastBytes(s string) string {
	const n = 4000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// inParallel runs test as one parallel subtest per name (a transport, say).
func inParallel(t *testing.T, names []string, test func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, name)
		})
	}
}

// backedHTTP starts a fake Composio and the binary on the HTTP transport tr
// against it, with args.
func backedHTTP(t *testing.T, tr string, args ...string) (addr string, p *proc, fake *composiotest.Server) {
	t.Helper()
	fake = backend(t)
	addr, p = startHTTP(t, serverEnv(fake.URL), append([]string{"--transport", tr}, args...)...)
	return addr, p, fake
}

// testContext ends after d, or when the test does.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// auditedStdio is stdioClient against a fresh fake Composio, writing the
// audit log to the returned path.
func auditedStdio(t *testing.T, ctx context.Context) (*mcpclient.Client, string) {
	t.Helper()
	fake := backend(t)
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	c, _ := stdioClient(t, ctx, serverEnv(fake.URL), "--audit-log", logPath)
	return c, logPath
}
