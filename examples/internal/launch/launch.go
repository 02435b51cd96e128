// Package launch holds what the example clients need to start the server
// binary as their subprocess over stdio: a clean environment for the sandbox,
// and a place to keep the end of the server's log.
package launch

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// SandboxCommand is a transport.WithCommandFunc that starts the server
// without the caller's COMPOSIO_* variables: settings meant for a real
// deployment (COMPOSIO_MCP_TRANSPORT=http, say) would otherwise change the
// sandbox the example expects.
func SandboxCommand(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	for _, kv := range append(os.Environ(), env...) {
		if !strings.HasPrefix(kv, "COMPOSIO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd, nil
}

// tailKeep is how much of the log a Tail keeps: enough to explain a failed
// start.
const tailKeep = 4 << 10

// Tail is an io.Writer that keeps the last few KB written to it. The server's
// stderr is written from another goroutine, so it is safe for concurrent use.
type Tail struct {
	mu  sync.Mutex
	buf []byte
}

// Write keeps the end of p and what came before it.
func (b *Tail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailKeep {
		b.buf = b.buf[len(b.buf)-tailKeep:]
	}
	return len(p), nil
}

// String returns what is kept.
func (b *Tail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
