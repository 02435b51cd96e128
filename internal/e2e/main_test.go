package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the binary under test. TestMain builds it once, before any test
// runs, and no test writes it.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cpm-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "composio-proxy-mcp")
	// The module root is two levels up; the binary is built without -race
	// even when the tests run with it, as a user would run it.
	build := exec.Command("go", "build", "-o", binPath, "../..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
