package results

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The resource templates of kept results.
const (
	resultTemplate = URIPrefix + "{id}"
	pageTemplate   = URIPrefix + "{id}/{page}"
)

// Templates returns the resource templates through which clients read kept
// results, to register on the MCP server (which then declares the resources
// capability); a nil store has none.
func (s *Store) Templates() []server.ServerResourceTemplate {
	if s == nil {
		return nil
	}
	desc := fmt.Sprintf("A proxy_execute response too large to return whole, kept for %s after the call. %s{id}/{page} reads it page by page (from 1); each page ends on a clean boundary, and the pages join into the exact response.", s.ttl, URIPrefix)
	return []server.ServerResourceTemplate{
		{
			Template: mcp.NewResourceTemplate(resultTemplate, "proxy_execute result",
				mcp.WithTemplateDescription(desc+" This URI reads all of it at once."),
				mcp.WithTemplateMIMEType("application/json")),
			Handler: s.read,
		},
		{
			Template: mcp.NewResourceTemplate(pageTemplate, "proxy_execute result page",
				mcp.WithTemplateDescription(desc),
				mcp.WithTemplateMIMEType("application/json")),
			Handler: s.read,
		},
	}
}

// errGone is the answer for an id that is unknown, expired, evicted or
// another caller's: the client cannot tell these apart, and need not.
var errGone = errors.New("no such result: it has expired or been evicted, or the id is wrong; call the tool again (asking for less, if the API can page)")

// read serves resources/read for both templates. It parses the URI itself
// rather than trusting template variables, so that it is the one place that
// decides what a results URI means.
func (s *Store) read(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, URIPrefix)
	if !ok {
		return nil, fmt.Errorf("%s: %w", uri, server.ErrResourceNotFound)
	}
	id, pageText, paged := strings.Cut(rest, "/")
	owner := s.owner(ctx, req.Header)
	if owner == "" || !validID(id) {
		return nil, fmt.Errorf("%s: %w (%w)", uri, errGone, server.ErrResourceNotFound)
	}
	n, badPage := 0, false
	if paged {
		var err error
		n, err = strconv.Atoi(pageText)
		if badPage = err != nil || n < 1; badPage {
			n = 1 // to tell the pages there are
		}
	}
	r, b, ok, err := s.b.load(ctx, owner, id, n)
	switch {
	case err != nil:
		// A JSON-RPC error the client can act on; the store's own error
		// (its address) is not the client's business.
		return nil, fmt.Errorf("%s: %s", uri, UnavailableText)
	case r == nil:
		return nil, fmt.Errorf("%s: %w (%w)", uri, errGone, server.ErrResourceNotFound)
	case badPage || !ok:
		return nil, fmt.Errorf("%s: no page %q: this result has pages 1 to %d", uri, pageText, r.Pages())
	}
	if !paged {
		return []mcp.ResourceContents{r.contents(uri, b, nil)}, nil
	}
	meta := map[string]any{
		"page":       n,
		"pages":      r.Pages(),
		"offset":     r.starts[n-1],
		"totalBytes": r.size,
	}
	if n < r.Pages() {
		meta["next"] = r.PageURI(n + 1)
	}
	return []mcp.ResourceContents{r.contents(uri, b, meta)}, nil
}

// contents wraps bytes of the result: as text when the result is valid UTF-8
// (every page is then too, since pages never split a rune), else as a base64
// blob, so that the bytes come back exactly either way.
func (r *Result) contents(uri string, b []byte, meta map[string]any) mcp.ResourceContents {
	if r.text {
		return mcp.TextResourceContents{Meta: meta, URI: uri, MIMEType: r.mime, Text: string(b)}
	}
	return mcp.BlobResourceContents{Meta: meta, URI: uri, MIMEType: r.mime, Blob: base64.StdEncoding.EncodeToString(b)}
}
