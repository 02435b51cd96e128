package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWriteOneLinePerEntry(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := New(&buf)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := l.Write(Entry{Time: at, RequestID: "req_1", Tool: "proxy_execute", Toolkit: "github", Method: "GET",
		Endpoint: "/user?token=secret", Status: 200, Attempts: 1, Duration: 1500 * time.Microsecond, Bytes: 42, Outcome: OutcomeOK})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-01-02T03:04:05Z","request_id":"req_1","tool":"proxy_execute","toolkit":"github","method":"GET","endpoint":"/user","status":200,"attempts":1,"bytes":42,"outcome":"ok","duration_ms":1.5}` + "\n"
	if buf.String() != want {
		t.Errorf("line = %s\nwant   %s", buf.String(), want)
	}
}

// Concurrent calls append whole lines to one file, never interleaved.
func TestConcurrentWritesToFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := l.Write(Entry{Tool: "proxy_execute", Endpoint: "/x/" + strings.Repeat("y", i*20), Attempts: 1, Outcome: OutcomeOK}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not JSON: %v", lines, err)
		}
		lines++
	}
	if lines != n {
		t.Errorf("%d lines, want %d", lines, n)
	}
}
