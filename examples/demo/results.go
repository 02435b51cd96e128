package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// printResult shows a tool result as a model receives it: the isError flag,
// then each content block. A download link is fetched, to show it works.
func printResult(ctx context.Context, w io.Writer, res *mcp.CallToolResult) {
	if res.IsError {
		fmt.Fprintln(w, "result isError: true")
	} else {
		fmt.Fprintln(w, "result ok")
	}
	for _, content := range res.Content {
		switch c := content.(type) {
		case mcp.TextContent:
			// Continuation lines line up under the first.
			fmt.Fprintf(w, "  text: %s\n", strings.ReplaceAll(strings.TrimRight(c.Text, "\n"), "\n", "\n        "))
		case mcp.ResourceLink:
			size := "size unknown"
			if c.Size != nil {
				size = fmt.Sprintf("%d bytes", *c.Size)
			}
			fmt.Fprintf(w, "  resource_link: %s (%s, %s)\n    uri: %s\n    %s\n", c.Name, c.MIMEType, size, c.URI, c.Description)
			fmt.Fprintf(w, "    %s\n", fetch(ctx, c.URI))
		default:
			b, _ := json.Marshal(c)
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
}

// storedResult is the id of the stored whole response that a filtered
// proxy_execute result names in its structuredContent, or "".
func storedResult(res *mcp.CallToolResult) string {
	sc, _ := res.StructuredContent.(map[string]any)
	id, _ := sc["result"].(string)
	return id
}

// fetch downloads a resource link as a client would, and describes what came.
func fetch(ctx context.Context, uri string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "fetching the link: " + err.Error()
	}
	head, _, _ := strings.Cut(string(b[:min(len(b), 8)]), "\n")
	return fmt.Sprintf("fetched the link: HTTP %d, %d bytes of %s starting %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"), head)
}

// openLink opens the redirect_url of a connect_toolkit result, which is what
// the user does in a browser; in the sandbox, that connects the account.
func openLink(ctx context.Context, res *mcp.CallToolResult) string {
	sc, _ := res.StructuredContent.(map[string]any)
	uri, _ := sc["redirect_url"].(string)
	if uri == "" {
		return "no redirect_url in the result"
	}
	return openURL(ctx, uri)
}

// openURL opens uri as the user's browser would.
func openURL(ctx context.Context, uri string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return "HTTP 200: in the sandbox, opening the link connects the account"
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
