package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// TestMain serves as the cold-start floor when the load test re-executes
// itself, which under go test means this test binary.
func TestMain(m *testing.M) {
	if path := os.Getenv(cannedEnv); path != "" {
		serveCanned(path)
		return
	}
	os.Exit(m.Run())
}

// TestLoadTestRuns runs every scenario once at a tiny size, so that the
// load test keeps working; its numbers mean nothing and are not checked.
func TestLoadTestRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server: skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{
		"-cold", "2", "-calls", "20", "-large-calls", "5", "-inflight", "5", "-delay", "20ms",
		"-rounds", "1", "-sessions", "2", "-duration", "300ms", "-binary-bytes", "65536",
		"-fleet-calls", "60", "-fleet-clients", "4",
	}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	wants := []string{"| cold start", "| start-up against plain mcp-go: cold start", "| start-up against plain mcp-go: idle RSS", "| stdio, 1 KiB", "| stdio, 256 KiB", "calls in flight", "| streamable HTTP", "binary_body upload", "| stdio-1KiB |", "| http |"}
	if redistest.Binary() != "" {
		wants = append(wants, "| fleet: 3 replicas", "| fleet replica C")
	}
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
