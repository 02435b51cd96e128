package tools

import (
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// The opt-in features (large results, inline downloads, uploads, dry run,
// confirmation) change what the tool definition tells a client. Each change
// happens only when its feature is on, so the definition of the zero Config,
// which the golden file pins, mirrors Composio's request body exactly.

// extendTool adjusts the description, output schema and annotations.
func extendTool(t *mcp.Tool, p *Config) {
	if p.MaxResultBytes > 0 {
		t.Description += fmt.Sprintf("\n\nLarge results are cut to %d characters (errors to %d): data stays valid JSON, arrays cut at whole items (the result says \"showing N of M items\"), long strings shortened. The whole response is kept for a while as a stored result, named by its id in the text and in structuredContent.truncated: page through it with %s {\"result\": id, \"page\": N} (or resources/read on %s{id}/{page}). Better, ask for less: a jq filter in \"jq\", or the API's pagination or field parameters.",
			p.MaxResultBytes, min(p.MaxResultBytes, maxErrorChars), QueryResultName, results.URIPrefix)
		if !p.DryRun {
			t.RawOutputSchema = generatedSchema(cutOutputName)
		}
	}
	if p.InlineImagesMax > 0 && !p.DryRun {
		t.Description += fmt.Sprintf("\n\nBinary responses that are images (PNG, JPEG, GIF, WebP), text or JSON, up to %s, also come back inline: images as image content, text as text.", sizeText(p.InlineImagesMax))
	}
	if p.ConfirmWrites && !p.DryRun {
		t.Description += confirmNote
	}
	if p.DryRun {
		t.Description += dryRunNote
		// Dry-run results describe a request, not an API's response, so the
		// response schema does not apply; and nothing is ever sent.
		t.RawOutputSchema = nil
		t.Annotations.ReadOnlyHint = mcp.ToBoolPtr(true)
		t.Annotations.DestructiveHint = mcp.ToBoolPtr(false)
		t.Annotations.IdempotentHint = mcp.ToBoolPtr(true)
		t.Annotations.OpenWorldHint = mcp.ToBoolPtr(false)
	}
}
