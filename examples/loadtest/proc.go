package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/examples/internal/launch"
)

// serverPackage is built when no -server is given, plainPackage when no
// -plain is given.
const (
	serverPackage = "github.com/composio-proxy-mcp/composio-proxy-mcp"
	plainPackage  = serverPackage + "/examples/loadtest/plain"
)

// profileEnv names the directory-and-prefix a server built with
// -tags loadtestprofile writes its profiles to (see profile_loadtest.go at the
// repository root).
const profileEnv = "CPM_LOADTEST_PROFILE"

// build builds pkg into dir/name: as go build does by default, or static
// (CGO_ENABLED=0), with the loadtestprofile tag when profile is set.
func build(ctx context.Context, dir, name, pkg string, profile, static bool) (string, error) {
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if profile {
		args = append(args, "-tags", "loadtestprofile")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if static {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w", pkg, err)
	}
	return bin, nil
}

// proc is a running server.
type proc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	stderr  *launch.Tail
	profile string // profile path prefix, "" when not profiling
}

// spawn starts the server with args and env; over stdio when stdio is set.
func spawn(bin string, env, args []string, stdio bool, profile string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if profile != "" {
		cmd.Env = append(cmd.Env, profileEnv+"="+profile)
	}
	p := &proc{cmd: cmd, stderr: &launch.Tail{}, profile: profile}
	cmd.Stderr = p.stderr
	if stdio {
		var err error
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
		if p.stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop writes the profiles (when profiling), then ends the server: EOF on
// stdin for stdio, SIGTERM otherwise. It waits for the exit.
func (p *proc) stop() error {
	if p.profile != "" {
		p.flushProfile()
	}
	if p.stdin != nil {
		_ = p.stdin.Close()
	} else {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("server did not exit within 10 s; killed")
	}
}

// flushProfile asks the server for its profiles (SIGUSR1) and waits until the
// allocation profile, written last, is there.
func (p *proc) flushProfile() {
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(p.profile + ".done"); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mem is a process's resident memory, from /proc/<pid>/status.
type mem struct {
	rss, hwm int64 // VmRSS, VmHWM (peak), bytes
}

func readMem(pid int) (mem, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}, err
	}
	var m mem
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := strings.Fields(string(value))
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "VmRSS":
			m.rss = n << 10
		case "VmHWM":
			m.hwm = n << 10
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// cpuTime is the CPU time (user + system) a process has used, from
// /proc/<pid>/stat, at the kernel's clock-tick resolution (10 ms).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …: comm may hold spaces, so count after the ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
