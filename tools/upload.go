package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// binaryFileInput is binary_body's third variant, offered only when the server
// has upload roots: a local file that the server reads and sends as base64.
type binaryFileInput struct {
	File        string `json:"file" jsonschema:"required,minLength=1"`
	ContentType string `json:"content_type,omitempty" jsonschema_description:"The MIME type of the file; guessed from its name or content when left out."`
}

// addFileVariant offers binary_body.file in the input schema, naming the
// directories files may come from so that a model knows what to ask for;
// without roots there is no such variant.
func addFileVariant(in map[string]any, roots []string) {
	if len(roots) == 0 {
		return
	}
	v := reflected(binaryFileInput{})
	list := strings.Join(roots, ", ")
	property(v, "file")["description"] = fmt.Sprintf("A local file for this server to read and send: a path inside one of the allowed directories (%s), absolute or relative to %s. At most 4 MB; no \"..\", and no symbolic link that leads outside those directories.", list, roots[0])
	bb := property(in, "binary_body")
	bb["oneOf"] = append(bb["oneOf"].([]any), v)
	bb["description"] = "Binary request body, instead of body: a URL Composio fetches the bytes from, the bytes as base64 (at most 4 MB decoded), or a local file in " + list + " that this server reads (at most 4 MB)."
}

// readFileVariant reads the file that binary_body {"file": …} (bb, which has
// a "file" member) names, so that everything after the arguments (checks,
// dry run, the request itself) sees an ordinary base64 upload. Its error is
// an *argError naming what to fix.
func readFileVariant(roots []string, bb map[string]json.RawMessage) (*upload, error) {
	var errs argError
	if _, hasURL := bb["url"]; hasURL {
		errs.add("binary_body", `give exactly one of "url", "base64" or "file"`)
	} else if _, hasB64 := bb["base64"]; hasB64 {
		errs.add("binary_body", `give exactly one of "url", "base64" or "file"`)
	}
	var path, ctype string
	if json.Unmarshal(bb["file"], &path) != nil || strings.TrimSpace(path) == "" {
		errs.add("binary_body.file", "must be a non-empty string: the path of a file in %s", strings.Join(roots, ", "))
	}
	if v, ok := bb["content_type"]; ok && json.Unmarshal(v, &ctype) != nil {
		errs.add("binary_body.content_type", "must be a string, got %s", kind(v))
	}
	if len(errs.problems) > 0 {
		return nil, &errs
	}
	up, err := readUpload(roots, path)
	if err != nil {
		errs.add("binary_body.file", "%v", err)
		return nil, &errs
	}
	if ctype == "" {
		ctype = guessContentType(up.path, up.data)
	}
	up.contentType = ctype
	return up, nil
}

// upload is a local file read for binary_body.
type upload struct {
	path        string // as resolved, symbolic links followed
	data        []byte
	contentType string
}

// guessContentType names a file's type from its extension, else its content.
func guessContentType(path string, data []byte) string {
	if t := mime.TypeByExtension(filepath.Ext(path)); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

// readUpload reads the file at path, which must be inside one of roots once
// every symbolic link is resolved, and be a regular file of at most 4 MB.
// Errors are written for the model: they say what was wrong with the path,
// never where an escaping link led.
func readUpload(roots []string, path string) (*upload, error) {
	return readUploadSwappable(roots, path, nil)
}

// readUploadSwappable is readUpload with beforeOpen, when not nil, run
// between the path checks and the open: the moment at which a file may be
// swapped for something else, which tests use to swap one.
func readUploadSwappable(roots []string, path string, beforeOpen func(real string)) (*upload, error) {
	if strings.ContainsRune(path, 0) {
		return nil, errors.New("the path contains a NUL byte")
	}
	for _, part := range strings.FieldsFunc(filepath.ToSlash(path), func(r rune) bool { return r == '/' }) {
		if part == ".." {
			return nil, fmt.Errorf("%q: \"..\" is not allowed in file paths", path)
		}
	}
	root, full, err := placeInRoots(roots, path)
	if err != nil {
		return nil, err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("the upload directory %s is not available: %v", root, pathErr(err))
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%q: no such file", path)
		}
		return nil, fmt.Errorf("%q: %v", path, pathErr(err))
	}
	// Checked again after resolving: a link inside a root may lead anywhere.
	rel, ok := within(realRoot, real)
	if !ok {
		return nil, fmt.Errorf("%q leads, through a symbolic link, outside the allowed directories", path)
	}
	// Opened first, and checked on the descriptor: whatever the path names
	// at the moment of opening is what gets read. os.Root resolves every link
	// itself and refuses one that leads out of the directory, so a link
	// swapped in after the checks above still cannot escape; O_NONBLOCK makes
	// the open of a FIFO or device swapped in return at once instead of
	// waiting forever for a writer.
	r, err := os.OpenRoot(realRoot)
	if err != nil {
		return nil, fmt.Errorf("the upload directory %s is not available: %v", root, pathErr(err))
	}
	defer r.Close()
	if beforeOpen != nil {
		beforeOpen(real)
	}
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%q could not be opened inside the allowed directories (it may have changed since it was checked): %v", path, pathErr(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%q: %v", path, pathErr(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a regular file (a directory, device, pipe or socket cannot be uploaded)", path)
	}
	if info.Size() > maxBinaryBytes {
		return nil, fmt.Errorf("%q is %s, over the 4 MB (%d bytes) limit", path, sizeText(info.Size()), maxBinaryBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBinaryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%q: reading failed: %v", path, pathErr(err))
	}
	if len(data) > maxBinaryBytes {
		return nil, fmt.Errorf("%q is over the 4 MB (%d bytes) limit", path, maxBinaryBytes)
	}
	return &upload{path: real, data: data}, nil
}

// placeInRoots finds the root a path belongs to and the path's absolute form:
// an absolute path must be inside one of the roots (as given, or with their
// links resolved); a relative one is taken from the first root.
func placeInRoots(roots []string, path string) (root, full string, err error) {
	if !filepath.IsAbs(path) {
		root, err = filepath.Abs(roots[0])
		if err != nil {
			return "", "", err
		}
		return root, filepath.Join(root, path), nil
	}
	full = filepath.Clean(path)
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			continue
		}
		if _, ok := within(abs, full); ok {
			return abs, full, nil
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			if _, ok := within(real, full); ok {
				return real, full, nil
			}
		}
	}
	return "", "", fmt.Errorf("%q is outside the allowed directories (%s)", path, strings.Join(roots, ", "))
}

// within reports whether path is inside dir (or is dir), and path relative to dir.
func within(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// pathErr drops the path from a *fs.PathError: messages name the path as the
// model gave it, not as resolved.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
