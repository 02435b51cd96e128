package tools

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// uploadTree builds an upload root and, beside it, a directory it must not
// reach, with the links an escape would use.
func uploadTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "uploads")
	outside = filepath.Join(base, "private")
	for _, d := range []string{root, outside, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "report.pdf"), "%PDF-1.4 fake")
	write(filepath.Join(root, "sub", "notes"), "plain notes, no extension")
	write(filepath.Join(outside, "secret.txt"), "TOP SECRET")
	links := map[string]string{
		"root/escape.txt":   filepath.Join(outside, "secret.txt"), // a file link out
		"root/escapedir":    outside,                              // a directory link out
		"root/inside-link":  filepath.Join(root, "report.pdf"),    // a link that stays in
		"root/sub/relative": "../report.pdf",                      // relative, stays in
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, "uploads", strings.TrimPrefix(name, "root/"))); err != nil {
			t.Fatal(err)
		}
	}
	big, err := os.Create(filepath.Join(root, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(maxBinaryBytes + 1); err != nil {
		t.Fatal(err)
	}
	big.Close()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

func TestReadUploadRefusesEscapes(t *testing.T) {
	t.Parallel()
	root, outside := uploadTree(t)
	roots := []string{root}
	for _, tc := range []struct {
		path string
		want string // "" for success
	}{
		{"report.pdf", ""},
		{filepath.Join(root, "report.pdf"), ""},
		{"sub/notes", ""},
		{"inside-link", ""},
		{"sub/relative", ""},
		{"../private/secret.txt", `".." is not allowed`},
		{"sub/../report.pdf", `".." is not allowed`},
		{root + "/../private/secret.txt", `".." is not allowed`},
		{filepath.Join(outside, "secret.txt"), "outside the allowed directories"},
		{"/etc/passwd", "outside the allowed directories"},
		{"escape.txt", "leads, through a symbolic link, outside"},
		{"escapedir/secret.txt", "leads, through a symbolic link, outside"},
		{"sub", "not a regular file"},
		{"pipe", "not a regular file"},
		{"big.bin", "over the 4 MB"},
		{"missing.txt", "no such file"},
		{"a\x00b", "NUL"},
	} {
		up, err := readUpload(roots, tc.path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: err = %v, want %q", tc.path, err, tc.want)
		case err != nil && !strings.Contains(tc.path, outside) && strings.Contains(err.Error(), outside):
			t.Errorf("%q: the error reveals where the link leads: %v", tc.path, err)
		case up != nil && strings.Contains(string(up.data), "SECRET"):
			t.Errorf("%q: read the secret", tc.path)
		}
	}
}

// TestReadUploadSwappedAfterCheck swaps a checked file for a FIFO, a link out
// of the root, or a big file just before it is opened: each must be refused
// at once, from what was opened, never hang on the FIFO or read the secret.
func TestReadUploadSwappedAfterCheck(t *testing.T) {
	t.Parallel()
	root, outside := uploadTree(t)
	swaps := map[string]func(p string) error{
		"fifo": func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"link": func(p string) error { return os.Symlink(filepath.Join(outside, "secret.txt"), p) },
		"big": func(p string) error {
			return os.WriteFile(p, make([]byte, maxBinaryBytes+1), 0o644)
		},
	}
	want := map[string]string{"fifo": "not a regular file", "link": "could not be opened inside the allowed directories", "big": "over the 4 MB"}
	swap := func(real string) {
		name := strings.TrimSuffix(filepath.Base(real), ".bin")
		if swap := swaps[name]; swap != nil {
			if err := os.Remove(real); err != nil {
				t.Error(err)
			}
			if err := swap(real); err != nil {
				t.Error(err)
			}
		}
	}
	for name := range swaps {
		p := filepath.Join(root, name+".bin")
		if err := os.WriteFile(p, []byte("small and regular"), 0o644); err != nil {
			t.Fatal(err)
		}
		type result struct {
			up  *upload
			err error
		}
		done := make(chan result, 1)
		go func() {
			up, err := readUploadSwappable([]string{root}, name+".bin", swap)
			done <- result{up, err}
		}()
		select {
		case r := <-done:
			if r.err == nil || !strings.Contains(r.err.Error(), want[name]) {
				t.Errorf("%s: err = %v, want %q", name, r.err, want[name])
			}
			if r.up != nil && strings.Contains(string(r.up.data), "SECRET") {
				t.Errorf("%s: read the secret", name)
			}
		case <-time.After(5 * time.Second):
			// Unblock the open so that the goroutine ends with the test.
			if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Fatalf("%s: readUpload still blocked after 5 s", name)
		}
	}
}

// TestUploadFileEndToEnd: with an upload root, the schema offers the file
// variant, and a file is sent as base64 with its type guessed; without one,
// "file" is an unknown field and the schema is unchanged.
func TestUploadFileEndToEnd(t *testing.T) {
	t.Parallel()
	root, _ := uploadTree(t)
	fake, c := fakeBackend(t)
	p := testProxy(c, composiotest.SessionID, Config{UploadRoots: []string{root}})
	schema, _ := json.Marshal(p.Tool().InputSchema)
	raw := string(p.Tool().RawInputSchema)
	if !strings.Contains(raw, `"file"`) || !strings.Contains(raw, root) {
		t.Errorf("input schema lacks the file variant: %s %s", raw, schema)
	}
	if strings.Contains(string(proxyWith(Config{}).Tool().RawInputSchema), `"file"`) {
		t.Error("the file variant is offered without upload roots")
	}

	mc := inProcess(t, p)
	res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":{"file":"report.pdf"}}`, nil)
	if res.IsError {
		t.Fatalf("upload failed: %s", text(res))
	}
	reqs := fake.ProxyRequests()
	bb := reqs[len(reqs)-1].BinaryBody
	if bb == nil || bb.ContentType != "application/pdf" {
		t.Fatalf("binary_body sent = %+v", bb)
	}
	if b, _ := base64.StdEncoding.DecodeString(bb.Base64); string(b) != "%PDF-1.4 fake" {
		t.Errorf("sent bytes = %q", b)
	}
	// No extension: the type comes from the content; a given type wins.
	for args, want := range map[string]string{
		`{"file":"sub/notes"}`:                                 "text/plain; charset=utf-8",
		`{"file":"report.pdf","content_type":"application/x"}`: "application/x",
	} {
		callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":`+args+`}`, nil)
		reqs := fake.ProxyRequests()
		if got := reqs[len(reqs)-1].BinaryBody.ContentType; got != want {
			t.Errorf("%s: content type %q, want %q", args, got, want)
		}
	}

	sent := len(fake.ProxyRequests())
	for args, want := range map[string]string{
		`{"file":"../private/secret.txt"}`:        `binary_body.file: "../private/secret.txt": ".." is not allowed`,
		`{"file":"escape.txt"}`:                   "outside the allowed directories",
		`{"file":"report.pdf","url":"https://x"}`: `give exactly one of "url", "base64" or "file"`,
		`{"file":7}`: "binary_body.file: must be a non-empty string",
	} {
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":`+args+`}`, nil)
		if !res.IsError || !strings.Contains(text(res), want) || !strings.Contains(text(res), "nothing was sent") {
			t.Errorf("%s: %s", args, text(res))
		}
	}
	if len(fake.ProxyRequests()) != sent {
		t.Error("a refused upload reached Composio")
	}

	// Without roots, "file" is just an unknown field.
	plain := call(t, testProxy(&fakeExecutor{resp: &client.ProxyResponse{Status: 200}}, "trs_test", Config{}),
		`{"toolkit_slug":"gmail","endpoint":"/upload","method":"POST","binary_body":{"file":"report.pdf"}}`)
	if !plain.IsError || !strings.Contains(text(plain), "binary_body.file: unknown field") {
		t.Errorf("without roots: %s", text(plain))
	}
}
