package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// requestBuilder builds, without sending it, the HTTP request of a
// proxy_execute call; *client.Client is one. A dry run shows what it builds,
// so the request shown is the request a real call sends.
type requestBuilder interface {
	NewProxyRequest(ctx context.Context, sessionID string, req *client.ProxyRequest) (*http.Request, error)
}

const dryRunNote = "\n\nDRY RUN: this server runs with --dry-run, so it sends nothing: each call answers with the exact HTTP request it would send to Composio (credentials redacted)."

// dryRunOutput is the structuredContent of a dry-run result. The tool
// declares no outputSchema in dry-run mode, since its results are not API
// responses.
type dryRunOutput struct {
	DryRun  bool              `json:"dry_run"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// dryRunner answers every call with the request it would send; a body too
// large to show goes through keep.
type dryRunner struct {
	keep keeper
	log  *slog.Logger
}

// run answers a call with the request it would send. The session is found
// as for a real call (a server that creates its session on first use may
// create it now); the proxied call itself is never sent.
func (p *dryRunner) run(ctx context.Context, ex executor, sessions Sessions, call *client.ProxyRequest) *mcp.CallToolResult {
	p.log.InfoContext(ctx, "proxy_execute dry run", "toolkit", call.ToolkitSlug, "method", call.Method, "endpoint", logEndpoint(call.Endpoint))
	b, ok := builderOf(ex)
	if !ok {
		return errorResult("--dry-run: this server's Composio client cannot show its requests, so nothing was sent.")
	}
	var hr *http.Request
	err := sessions.Run(ctx, func(sessionID string) (err error) {
		hr, err = b.NewProxyRequest(ctx, sessionID, call)
		return err
	})
	if err != nil {
		return errorResult(fmt.Sprintf("--dry-run: the request could not be built, and nothing was sent: %v", err))
	}
	lines, out, body, err := renderRequest(hr)
	if err != nil {
		return errorResult(fmt.Sprintf("--dry-run: reading the request body failed, and nothing was sent: %v", err))
	}
	var text strings.Builder
	fmt.Fprintf(&text, "DRY RUN: nothing was sent (this server runs with --dry-run). For %s %s %s, proxy_execute would send this request to Composio (credentials redacted):\n\n", call.ToolkitSlug, call.Method, call.Endpoint)
	text.WriteString(lines)
	structured, err := json.Marshal(out)
	if err != nil {
		structured = nil
	}
	head := text.String() + "\n"
	if p.keep.over(len(body)) {
		// An upload of a few MB would flood the model; the exact body stays
		// readable as a resource.
		kept := p.keep.keep(ctx, "dry run of "+call.ToolkitSlug+" "+call.Method+" "+logEndpoint(call.Endpoint), "application/json", body, true)
		res := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(head + "The body:" + kept.note("request body") + "\n" + kept.shownText() + kept.trailer())}}
		if kept.stored != nil {
			res.Content = append(res.Content, kept.link())
		}
		return res
	}
	res := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(head + string(body))}}
	if structured != nil {
		res.StructuredContent = json.RawMessage(structured)
	}
	return res
}

// renderRequest shows a request built and not sent: its request line and
// headers as text (credentials redacted, and the Host and Content-Length the
// transport would add), the same as dryRunOutput, and its body.
func renderRequest(hr *http.Request) (lines string, out dryRunOutput, body []byte, err error) {
	if hr.GetBody != nil {
		rc, err := hr.GetBody()
		if err == nil {
			body, err = io.ReadAll(rc)
			rc.Close()
		}
		if err != nil {
			return "", dryRunOutput{}, nil, err
		}
	}
	header := client.RedactHeader(hr.Header)
	header.Set("Host", hr.URL.Host)
	if hr.ContentLength > 0 {
		header.Set("Content-Length", fmt.Sprint(hr.ContentLength))
	}
	var text strings.Builder
	fmt.Fprintf(&text, "%s %s\n", hr.Method, hr.URL)
	out = dryRunOutput{DryRun: true, Method: hr.Method, URL: hr.URL.String(), Headers: map[string]string{}}
	for _, k := range slices.Sorted(maps.Keys(header)) {
		v := strings.Join(header[k], ", ")
		fmt.Fprintf(&text, "%s: %s\n", k, v)
		out.Headers[k] = v
	}
	if len(body) > 0 {
		out.Body = body
	}
	return text.String(), out, body, nil
}

// builderOf finds the requestBuilder behind an executor, looking through the
// recording wrapper that target puts around it.
func builderOf(ex executor) (requestBuilder, bool) {
	if r, ok := ex.(recordingExecutor); ok {
		ex = r.next
	}
	b, ok := ex.(requestBuilder)
	return b, ok
}
