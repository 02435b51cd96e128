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
	return &saver{dir: dir, max: max, client: downloadClient(hc), timeout: timeout, log: log}
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
// that is taken; a file over the limit is removed again.
func (s *saver) write(name string, body io.Reader) savedOutput {
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return savedOutput{Error: "opening the download directory: " + err.Error()}
	}
	defer root.Close()
	var f *os.File
	for i := 0; i < maxNameTries; i++ {
		// O_EXCL never overwrites, and refuses a symbolic link of that name.
		f, err = root.OpenFile(suffixed(name, i), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			name = suffixed(name, i)
			break
		}
	}
	if err != nil {
		return savedOutput{Error: "creating the file: " + err.Error()}
	}
	n, err := io.Copy(f, io.LimitReader(body, s.max+1))
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
		name = "download"
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
				name += exts[0]
			}
		}
	}
	return name
}
