package tools

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/loopback"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// Defaults for fetching binary responses to show inline.
const (
	// DefaultInlineImagesMax is the largest image, text or JSON download shown
	// inline.
	DefaultInlineImagesMax = 1 << 20
	// DefaultDownloadTimeout bounds one download, well inside a tool call's time.
	DefaultDownloadTimeout = 15 * time.Second
	// maxDownloadRedirects bounds the redirects a download follows.
	maxDownloadRedirects = 3
)

// inlineImageTypes are the image types that MCP clients show and vision
// models read.
var inlineImageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// inlineKind says how a binary response of this content type is shown
// inline: "image", "text", or "" for not at all.
func inlineKind(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch {
	case slices.Contains(inlineImageTypes, mt):
		return "image"
	case strings.HasPrefix(mt, "text/"), mt == "application/json", strings.HasSuffix(mt, "+json"):
		return "text"
	}
	return ""
}

// inliner shows small binary responses inline: it downloads them, masks
// the secrets in text, and cuts text too large through keep.
type inliner struct {
	max     int64 // the largest download shown; 0 shows none
	client  *http.Client
	timeout time.Duration
	keep    keeper
	masker  *masker
	log     *slog.Logger
	// save, when set, also saves every binary response to a directory.
	save *saver
}

// newInliner returns an inliner of downloads up to max bytes, fetched with
// hc (nil: a default client) within timeout (0: DefaultDownloadTimeout).
func newInliner(max int64, hc *http.Client, timeout time.Duration, keep keeper, m *masker, log *slog.Logger) inliner {
	if timeout <= 0 {
		timeout = DefaultDownloadTimeout
	}
	return inliner{max: max, client: downloadClient(hc), timeout: timeout, keep: keep, masker: m, log: log}
}

// inlineBinary adds to a result with a binary download the content itself,
// when it is an image (as an image block, so that a vision model can look at
// it) or text or JSON (as a text block), and no larger than InlineImagesMax.
// A download that fails leaves the result as it was, with a note: the link
// is still there.
func (p inliner) inlineBinary(ctx context.Context, res *mcp.CallToolResult, bd *client.BinaryData) *mcp.CallToolResult {
	if bd == nil || bd.URL == "" || res.IsError {
		return res
	}
	res = p.save.attach(ctx, res, bd)
	if p.max <= 0 {
		return res
	}
	kind := inlineKind(bd.ContentType)
	if kind == "" {
		return res
	}
	if bd.Size > p.max {
		return withNote(res, fmt.Sprintf("(Not shown inline: at %s it is over this server's inline limit of %s; use the download link.)", sizeText(bd.Size), sizeText(p.max)))
	}
	data, err := p.download(ctx, bd.URL, p.max)
	if err != nil {
		p.log.InfoContext(ctx, "proxy_execute: inline download failed", "err", err)
		return withNote(res, fmt.Sprintf("(Not shown inline: %v. The download link still works until it expires.)", err))
	}
	if kind == "text" {
		// The file is upstream data like any other: a secret it echoes is
		// masked before it is shown or kept in the result store, which
		// serves it unmasked-by-design to later reads.
		data = maskBytes(data, p.masker.forCall(results.CallHeader(ctx)))
	}
	switch kind {
	case "image":
		// Trust the bytes rather than the label: a client shown an image block
		// of the wrong type may fail to render the whole result.
		sniffed := http.DetectContentType(data)
		if !slices.Contains(inlineImageTypes, sniffed) {
			return withNote(res, fmt.Sprintf("(Not shown inline: labelled %s, but the bytes are %s.)", bd.ContentType, sniffed))
		}
		res.Content = append(res.Content, mcp.NewImageContent(base64.StdEncoding.EncodeToString(data), sniffed))
	case "text":
		if !utf8.Valid(data) {
			return withNote(res, "(Not shown inline: the text is not valid UTF-8; use the download link.)")
		}
		name := linkName(bd.URL)
		header := fmt.Sprintf("Contents of %s (%s, %s):\n", name, bd.ContentType, sizeText(int64(len(data))))
		if p.keep.over(len(data)) {
			mt, _, _ := mime.ParseMediaType(bd.ContentType)
			kept := p.keep.keep(ctx, name, mt, data, mt == "application/json" || strings.HasSuffix(mt, "+json"))
			res.Content = append(res.Content, mcp.NewTextContent(header+kept.note("file")+"\n"+kept.shownText()+kept.trailer()))
			if kept.stored != nil {
				res.Content = append(res.Content, kept.link())
			}
			break
		}
		res.Content = append(res.Content, mcp.NewTextContent(header+string(data)))
	}
	return res
}

// withNote appends a line to the result's first text block.
func withNote(res *mcp.CallToolResult, note string) *mcp.CallToolResult {
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(mcp.TextContent); ok {
			tc.Text += "\n" + note
			res.Content[0] = tc
		}
	}
	return res
}

// download fetches a binary response's signed URL, reading at most limit
// bytes: the announced length is checked before reading and the count while
// reading, so a wrong size in binary_data cannot make the server hold more.
func (p inliner) download(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("the download link is not a valid URL")
	}
	if err := downloadAllowed(u); err != nil {
		return nil, err
	}
	timeout := p.timeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("building the download request: %w", err)
	}
	// Nothing sets them; stripping says, and keeps, that none goes out.
	stripCredentials(req.Header)
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the download took longer than %s", timeout)
		}
		return nil, fmt.Errorf("downloading failed: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the download link answered HTTP %s", statusText(resp.StatusCode))
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("the download is %s, over the inline limit of %s", sizeText(resp.ContentLength), sizeText(limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the download took longer than %s", timeout)
		}
		return nil, fmt.Errorf("reading the download failed: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the download is over the inline limit of %s", sizeText(limit))
	}
	return data, nil
}

// downloadAllowed accepts https links, and http ones only to a loopback host
// (the sandbox and tests), since a signed link fetched over plain http could
// be read or changed on the way.
func downloadAllowed(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback.Host(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("only https download links are fetched, not %s://%s", u.Scheme, u.Host)
}

// downloadClient is a copy of base, or a default client, with redirects held
// to the same rule as the first URL.
func downloadClient(base *http.Client) *http.Client {
	var hc http.Client
	if base != nil {
		hc = *base
	}
	// Redirects are followed (signed links may point at a CDN), since the
	// request carries nothing to leak: download builds it with no
	// credential, and any that a wrapped transport or an earlier hop put on
	// it are taken off again before each hop.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxDownloadRedirects {
			return fmt.Errorf("more than %d redirects", maxDownloadRedirects)
		}
		stripCredentials(req.Header)
		return downloadAllowed(req.URL)
	}
	// Download links are signed: they need, and get, no cookie or credential.
	hc.Jar = nil
	return &hc
}

// downloadCredentialHeaders are the headers that carry a Composio credential or any
// other; a download never sends them.
var downloadCredentialHeaders = []string{"X-Api-Key", "X-User-Api-Key", "Authorization", "Proxy-Authorization", "Cookie"}

func stripCredentials(h http.Header) {
	for _, k := range downloadCredentialHeaders {
		h.Del(k)
	}
}

// unwrapURLError drops *url.Error's "Get <url>:" prefix: the URL is signed,
// and the model has it already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
