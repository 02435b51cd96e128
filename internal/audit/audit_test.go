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

func TestRedactEndpoint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/gmail/v1/users/me/messages?q=from:boss&maxResults=5": "/gmail/v1/users/me/messages?maxResults=REDACTED&q=REDACTED",
		"https://user:pw@api.github.com/user?token=x#frag":     "https://api.github.com/user?token=REDACTED",
		"/plain":                        "/plain",
		"/a?x=1&x=2":                    "/a?x=REDACTED",
		"/a?flag":                       "/a?REDACTED",
		"/p?QSECRET8":                   "/p?REDACTED",
		"/p?a&&b":                       "/p?REDACTED",
		"/p?=x":                         "/p?REDACTED",
		"/p?%zz=1":                      "/p?REDACTED",
		"/p?&&":                         "/p",
		"/p?":                           "/p",
		"/p?a=1&SECRET&b=2;c=3;SECRET3": "/p?a=REDACTED&b=REDACTED&c=REDACTED&REDACTED",
		"/p?a%3DSECRET":                 "/p?REDACTED",
		"/p?a=1#SECRET":                 "/p?a=REDACTED",
		"/p#x?SECRET":                   "/p",
		"/p?a=1#x?b&SECRET":             "/p?a=REDACTED",
		"%zz?q=1":                       "%zz",
		"":                              "",
	} {
		if got := RedactEndpoint(in); got != want {
			t.Errorf("RedactEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

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
	want := `{"time":"2026-01-02T03:04:05Z","request_id":"req_1","tool":"proxy_execute","toolkit":"github","method":"GET","endpoint":"/user?token=REDACTED","status":200,"attempts":1,"bytes":42,"outcome":"ok","duration_ms":1.5}` + "\n"
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
