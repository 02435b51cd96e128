package tools

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// TestSafeName: a saved name has no separator, no control character, no
// leading dot, and is never empty.
func TestSafeName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, ctype, want string }{
		{"/files/report.pdf", "application/pdf", "report.pdf"},
		{"/files/..%2Fx", "", "_x"},
		{"/files/..%2F..%2Fetc%2Fpasswd", "", "_.._etc_passwd"},
		{"/files/..", "image/png", "download.png"},
		{"/files/.", "", "download"},
		{"/files/.bashrc", "", "bashrc"},
		{"/files/a%00b%0Ac.txt", "", "a_b_c.txt"},
		{"/files/C%3A%5Cwin.ini", "", "C__win.ini"},
		{"/files/", "application/json", "download.json"},
		{"", "", "download"},
		{"/files/" + strings.Repeat("é", 100) + ".csv", "", strings.Repeat("é", 58) + ".csv"},
		// Format characters are dropped: U+202E would show this as "reportexe.pdf".
		{"/files/report%E2%80%AEfdp.exe", "", "reportfdp.exe"},
		{"/files/a%E2%80%8Bb%EF%BB%BF.txt", "", "ab.txt"},
		{"/files/%E2%80%AE", "text/html", "download.html"},
		// Windows device names, with or without an extension, in any case.
		{"/files/CON", "", "_CON"},
		{"/files/nul.txt", "", "_nul.txt"},
		{"/files/Com1.tar.gz", "", "_Com1.tar.gz"},
		{"/files/LPT9", "", "_LPT9"},
		{"/files/aux%20.pdf", "", "_aux .pdf"},
		{"/files/COM0", "", "COM0"},
		{"/files/CONSOLE.txt", "", "CONSOLE.txt"},
		// The extension of a common type comes from a fixed table, not from
		// the system's, which may list .ehtml or .jfif first.
		{"/files/", "text/html; charset=utf-8", "download.html"},
		{"/files/", "image/jpeg", "download.jpg"},
		{"/files/", "text/plain", "download.txt"},
		{"/files/", "application/zip", "download.zip"},
		{"/files/", "text/csv", "download.csv"},
		{"/files/", "application/x-unknown-type", "download"},
	} {
		if got := safeName(tc.path, tc.ctype); got != tc.want {
			t.Errorf("safeName(%q, %q) = %q, want %q", tc.path, tc.ctype, got, tc.want)
		}
	}
}

// TestDownloadDirSaves: each download is saved under a new name, never over
// an older file, and the result gives its absolute path.
func TestDownloadDirSaves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{DownloadDir: dir}))
	var paths []string
	for range 2 {
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`, nil)
		var saved savedOutput
		_ = json.Unmarshal(structuredOf(t, res.StructuredContent)["saved"], &saved)
		if res.IsError || saved.Error != "" || !strings.Contains(text(res), "Saved to "+saved.Path) {
			t.Fatalf("%+v: %s", saved, text(res))
		}
		if len(resourceLinks(res)) != 1 {
			t.Errorf("the download link is gone")
		}
		if fi, err := os.Stat(saved.Path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("saved file mode %v (%v), want 0600: attachments are private", fi.Mode().Perm(), err)
		}
		got, err := os.ReadFile(saved.Path)
		if err != nil || !bytes.Equal(got, fetch(t, resourceLinks(res)[0].URI)) || int64(len(got)) != saved.Size {
			t.Errorf("saved %d bytes (%v), not the download", len(got), err)
		}
		paths = append(paths, saved.Path)
	}
	want := []string{filepath.Join(dir, "report.pdf"), filepath.Join(dir, "report-1.pdf")}
	if paths[0] != want[0] || paths[1] != want[1] {
		t.Errorf("paths %v, want %v", paths, want)
	}
}

// TestDownloadDirCap: a download over the cap is not saved, the result says
// why, and still has the link.
func TestDownloadDirCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{DownloadDir: dir, DownloadMaxBytes: 10}))
	res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`, nil)
	var saved savedOutput
	_ = json.Unmarshal(structuredOf(t, res.StructuredContent)["saved"], &saved)
	if res.IsError || !strings.Contains(saved.Error, "over this server's download limit of 10 bytes") || !strings.Contains(text(res), "Not saved to "+dir) || len(resourceLinks(res)) != 1 {
		t.Errorf("%+v: %s", saved, text(res))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left in the directory", len(entries))
	}
}

// TestDownloadDirBudget: once the saved files fill the process's budget, a
// download is not saved, the result says the budget is spent, and the call
// still returns its data and link.
func TestDownloadDirBudget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, c := fakeBackend(t)
	call := `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`
	// The budget holds one copy of the file: learn its size from a first save.
	probe := inProcess(t, testProxy(c, composiotest.SessionID, Config{DownloadDir: t.TempDir()}))
	var first savedOutput
	_ = json.Unmarshal(structuredOf(t, callArgs(t, probe, call, nil).StructuredContent)["saved"], &first)
	if first.Size == 0 {
		t.Fatalf("probe %+v", first)
	}
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{DownloadDir: dir, downloadBudget: first.Size + first.Size/2}))
	for i, want := range []string{"", "budget of " + sizeText(first.Size+first.Size/2) + " for saved files is spent"} {
		res := callArgs(t, mc, call, nil)
		var saved savedOutput
		_ = json.Unmarshal(structuredOf(t, res.StructuredContent)["saved"], &saved)
		switch {
		case res.IsError || len(resourceLinks(res)) != 1:
			t.Errorf("call %d lost its data: %s", i+1, text(res))
		case want == "" && saved.Error != "":
			t.Errorf("call %d: %+v", i+1, saved)
		case want != "" && (!strings.Contains(saved.Error, want) || !strings.Contains(text(res), "the file was not saved")):
			t.Errorf("call %d: %+v: %s", i+1, saved, text(res))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1", len(entries))
	}
	// write refuses on its own too, whatever size the link announced, and
	// gives back what a refused or failed file reserved.
	s := newSaver(t.TempDir(), 0, nil, 0, nil)
	s.budget, s.left = 5, 5
	if out := s.write("a", strings.NewReader("123456")); !strings.Contains(out.Error, "is spent") {
		t.Errorf("over the budget: %+v", out)
	}
	if out := s.write("b", strings.NewReader("12345")); out.Error != "" || s.left != 0 {
		t.Errorf("within the budget: %+v, %d left", out, s.left)
	}
}

// TestDownloadDirStaysInside: a symbolic link in the directory that points
// out is neither followed nor replaced, and a name that climbs out is
// refused by the os.Root even if it got past safeName.
func TestDownloadDirStaysInside(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	target := filepath.Join(outside, "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "report.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	_, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{DownloadDir: dir}))
	res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`, nil)
	var saved savedOutput
	_ = json.Unmarshal(structuredOf(t, res.StructuredContent)["saved"], &saved)
	if saved.Path != filepath.Join(dir, "report-1.pdf") {
		t.Errorf("saved %+v", saved)
	}
	if got, _ := os.ReadFile(target); string(got) != "keep me" {
		t.Errorf("the file outside was changed: %q", got)
	}
	s := newSaver(dir, 0, nil, 0, nil)
	for _, name := range []string{"../x", "..", "out/x", "/tmp/x"} {
		if out := s.write(name, strings.NewReader("x")); out.Error == "" {
			t.Errorf("write(%q) saved %s", name, out.Path)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("%d files outside, want only the victim", len(entries))
	}
}
