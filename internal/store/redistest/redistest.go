// Package redistest runs a real redis-server (or valkey-server) for tests, on
// a loopback port it picks, in a temporary directory, with no persistence
// unless asked.
//
//	srv := redistest.Start(t)
//	st, _ := store.Open(store.Config{URL: srv.URL()})
//	srv.Restart(t) // drops every key, as a restarted Redis without persistence
//
// Without a server binary on PATH the test is skipped with a message saying
// how to install one, except under CI (CI set), where it fails: CI installs
// redis-server, and a store test that silently did not run proves nothing.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	bin  string
	dir  string
	port int
	args []string
	cmd  *exec.Cmd
}

// Binary is the server binary found on PATH, "" when there is none.
func Binary() string {
	for _, name := range []string{"redis-server", "valkey-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start runs a server for t, stopped when t ends. args are extra
// redis-server options, such as "--appendonly", "yes".
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if Binary() == "" {
		msg := "redis-server is not installed (apt-get install -y redis-server); the store tests need a real one"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + ": CI installs it in .ci/run, so this is a CI set-up fault")
		}
		t.Skip(msg)
	}
	s, err := Run(t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// ErrNoBinary is Run's error when neither redis-server nor valkey-server is
// on PATH.
var ErrNoBinary = errors.New("neither redis-server nor valkey-server is on PATH (apt-get install -y redis-server)")

// Run runs a server in dir, for a program rather than a test (the fleet
// load test): the caller stops it.
func Run(dir string, args ...string) (*Server, error) {
	bin := Binary()
	if bin == "" {
		return nil, ErrNoBinary
	}
	s := &Server{bin: bin, dir: dir, args: args}
	var err error
	for range 5 { // a port picked free can be taken before the server binds it
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server at once, as a crash would; it is a no-op when it is
// not running.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Pause stops the server's process (SIGSTOP) without closing its
// connections: a hung store, which accepts and answers nothing, until
// Resume.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.signal(syscall.SIGCONT) })
}

// Resume lets a paused server run again.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) signal(sig os.Signal) error {
	if s.cmd == nil {
		return nil
	}
	return s.cmd.Process.Signal(sig)
}

// Restart stops the server and starts it again on the same port: without
// persistence every key is gone, as after a real restart.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
}

// Start starts a stopped server again on its port.
func (s *Server) Start() error {
	var err error
	for range 50 { // the old process's port may linger a moment
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func (s *Server) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--save", "", "--appendonly", "no",
		"--protected-mode", "yes", "--loglevel", "warning",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	out, err := os.Create(s.dir + "/server.log")
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr()) {
			s.cmd = cmd
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	log, _ := os.ReadFile(s.dir + "/server.log")
	return fmt.Errorf("redis-server did not answer on %s within 5s: %s", s.Addr(), strings.TrimSpace(string(log)))
}

// ping reports whether a server answers PING on addr.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	// A server with a password answers NOAUTH: it is up all the same.
	return err == nil && (strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH"))
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
