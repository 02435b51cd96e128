package tools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// DefaultDownloadMaxBytes is the largest binary response --download-dir
// saves. Composio's signed links serve what the API answered, which can be a
// backup or a video: a fixed 100 MiB holds the files an agent works on
// (documents, images, exports) and bounds the disk a model can fill per call.
const DefaultDownloadMaxBytes = 100 << 20

// DownloadBudgetBytes is how many bytes --download-dir saves in all, over
// the life of the process. DefaultDownloadMaxBytes bounds one call, but a
// model can make many: 1 GiB holds a working session's attachments and
// exports while keeping a loop of downloads from filling the disk. Past it a
// result says the budget is spent and the file was not saved; the call still
// returns its data and link. Restarting the server renews it.
const DownloadBudgetBytes = 1 << 30

// savedFileMode keeps saved files readable by their owner only: they are a
// user's attachments and exports (mail, documents), which other accounts on
// the machine have no business reading.
const savedFileMode = 0o600

// maxNameTries bounds the suffixes tried for a free file name.
const maxNameTries = 100

// savedOutput is structuredContent's "saved" member: where a binary
// response was saved, or why it was not.
type savedOutput struct {
	Path  string `json:"path,omitempty" jsonschema_description:"The absolute path of the saved file."`
	Size  int64  `json:"size,omitempty" jsonschema_description:"Its size in bytes."`
	Error string `json:"error,omitempty" jsonschema_description:"Why the file was not saved; the download link still works until it expires."`
}

// saver saves each binary response into one directory, through an os.Root
// so that no name, and no symbolic link in the directory, leads out of it.
type saver struct {
	dir     string // absolute
	max     int64
	client  *http.Client
	timeout time.Duration
	log     *slog.Logger

	budget int64 // DownloadBudgetBytes, or a test's
	mu     sync.Mutex
	left   int64 // of budget, not yet saved nor reserved by a save under way
}

// newSaver is the saver into dir ("": none) of downloads up to max bytes
// (0: DefaultDownloadMaxBytes).
func newSaver(dir string, max int64, hc *http.Client, timeout time.Duration, log *slog.Logger) *saver {
	if dir == "" {
		return nil
	}
	if max <= 0 {
		max = DefaultDownloadMaxBytes
	}
	if timeout <= 0 {
		timeout = DefaultDownloadTimeout
	}
	return &saver{dir: dir, max: max, client: downloadClient(hc), timeout: timeout, log: log,
		budget: DownloadBudgetBytes, left: DownloadBudgetBytes}
}

// reserve takes up to n bytes of the budget for a save under way and says
// how many it took; the save gives back what it did not use (refund), so
// that concurrent saves cannot together write past the budget.
func (s *saver) reserve(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = min(n, s.left)
	s.left -= n
	return n
}

func (s *saver) refund(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.left += n
}

// budgetSpent is the error of a file that does not fit what is left of the
// budget.
func (s *saver) budgetSpent() savedOutput {
	return savedOutput{Error: "this server's budget of " + sizeText(s.budget) +
		" for saved files is spent, so the file was not saved; restarting the server renews it"}
}

// attach saves the binary response bd and says where in res, or why not.
// A nil saver saves nothing.
func (s *saver) attach(ctx context.Context, res *mcp.CallToolResult, bd *client.BinaryData) *mcp.CallToolResult {
	if s == nil {
		return res
	}
	out := s.save(ctx, bd)
	if out.Error != "" {
		s.log.InfoContext(ctx, "proxy_execute: saving the download failed", "err", out.Error)
		res = withNote(res, "(Not saved to "+s.dir+": "+out.Error+". The download link still works until it expires.)")
	} else {
		res = withNote(res, fmt.Sprintf("Saved to %s (%s).", out.Path, sizeText(out.Size)))
	}
	return withMember(res, "saved", out)
}

// save downloads bd into a new file of the directory.
func (s *saver) save(ctx context.Context, bd *client.BinaryData) savedOutput {
	if bd.Size > s.max {
		return savedOutput{Error: fmt.Sprintf("at %s it is over this server's download limit of %s", sizeText(bd.Size), sizeText(s.max))}
	}
	s.mu.Lock()
	left := s.left
	s.mu.Unlock()
	// The size Composio reports spares a download that cannot fit; write
	// still counts the bytes, which is what the budget is about.
	if left == 0 || bd.Size > left {
		return s.budgetSpent()
	}
	u, err := url.Parse(bd.URL)
	if err != nil {
		return savedOutput{Error: "the download link is not a valid URL"}
	}
	if err := downloadAllowed(u); err != nil {
		return savedOutput{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return savedOutput{Error: "building the download request: " + err.Error()}
	}
	stripCredentials(req.Header)
	resp, err := s.client.Do(req)
	if err != nil {
		return savedOutput{Error: "downloading failed: " + unwrapURLError(err).Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return savedOutput{Error: "the download link answered HTTP " + statusText(resp.StatusCode)}
	}
	if resp.ContentLength > s.max {
		return savedOutput{Error: fmt.Sprintf("the download is %s, over this server's download limit of %s", sizeText(resp.ContentLength), sizeText(s.max))}
	}
	return s.write(safeName(u.Path, bd.ContentType), resp.Body)
}

// write copies body into a new file named name, or name with a suffix when
// that is taken; a file over the limit, or over what is left of the budget,
// is removed again.
func (s *saver) write(name string, body io.Reader) savedOutput {
	avail := s.reserve(s.max)
	if avail == 0 {
		return s.budgetSpent()
	}
	out := s.writeUpTo(name, body, avail)
	s.refund(avail - out.Size)
	return out
}

// writeUpTo is write with avail bytes of the budget reserved.
func (s *saver) writeUpTo(name string, body io.Reader, avail int64) savedOutput {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return savedOutput{Error: "opening the download directory: " + err.Error()}
	}
	defer root.Close()
	var f *os.File
	for i := 0; i < maxNameTries; i++ {
		// O_EXCL never overwrites, and refuses a symbolic link of that name.
		f, err = root.OpenFile(suffixed(name, i), os.O_WRONLY|os.O_CREATE|os.O_EXCL, savedFileMode)
		if !errors.Is(err, fs.ErrExist) {
			name = suffixed(name, i)
			break
		}
	}
	if err != nil {
		return savedOutput{Error: "creating the file: " + err.Error()}
	}
	n, err := io.Copy(f, io.LimitReader(body, avail+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		_ = root.Remove(name)
		return savedOutput{Error: "writing the file: " + err.Error()}
	case n > s.max:
		_ = root.Remove(name)
		return savedOutput{Error: "the download is over this server's download limit of " + sizeText(s.max)}
	case n > avail:
		_ = root.Remove(name)
		return s.budgetSpent()
	}
	return savedOutput{Path: filepath.Join(s.dir, name), Size: n}
}

// suffixed is name with -i before its extension (i > 0).
func suffixed(name string, i int) string {
	if i == 0 {
		return name
	}
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "-" + strconv.Itoa(i) + ext
}

// maxNameBytes keeps a saved name well inside every file system's limit.
const maxNameBytes = 120

// safeName is a file name made of a link's path and content type: its last
// element, without separators, control characters, characters that some
// systems refuse, or leading dots (no hidden files, no "." or "..");
// "download" and an extension of the type when nothing is left.
func safeName(urlPath, contentType string) string {
	base := urlPath
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	if dec, err := url.PathUnescape(base); err == nil {
		base = dec
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case unicode.Is(unicode.Cf, r):
			// Format characters are invisible: U+202E (right-to-left
			// override) shows "report\u202Efdp.exe" as "reportexe.pdf",
			// and zero-width ones make two names look alike.
		case unicode.IsControl(r), r == unicode.ReplacementChar, strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name := strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = strings.ToValidUTF8(name[:maxNameBytes-len(ext)], "") + ext
	}
	if strings.Trim(name, "_") == "" {
		name = "download" + extensionOf(contentType)
	}
	if isDeviceName(name) {
		name = "_" + name
	}
	return name
}

// commonExtensions are the extensions of the types most downloads have.
// mime.ExtensionsByType sorts what the system's tables list, which puts
// ".ehtml" before ".html" and ".jfif" before ".jpg" on some machines.
var commonExtensions = map[string]string{
	"application/pdf":  ".pdf",
	"image/png":        ".png",
	"image/jpeg":       ".jpg",
	"image/gif":        ".gif",
	"image/webp":       ".webp",
	"text/plain":       ".txt",
	"text/html":        ".html",
	"application/json": ".json",
	"text/csv":         ".csv",
	"application/zip":  ".zip",
}

// extensionOf is the extension of a file of contentType, "" when unknown.
func extensionOf(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	if ext, ok := commonExtensions[mt]; ok {
		return ext
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// isDeviceName says whether Windows reserves name for a device, with or
// without an extension (NUL.txt opens the device too), so that a file saved
// here can be copied to a Windows machine, or a share, under its name.
func isDeviceName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) && stem[3] >= '1' && stem[3] <= '9'
}
