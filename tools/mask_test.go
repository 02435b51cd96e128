package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestMaskerMasksEveryPart: text, embedded text and structured content of
// any type are masked, the caller's secrets too, JSON-escaped forms included,
// and structured JSON stays valid.
func TestMaskerMasksEveryPart(t *testing.T) {
	const key, tok, callerKey = "ak_SECRET_key_1", "tok<&>SECRET", "ak_caller_SECRET"
	m := newMasker(func(h http.Header) []string { return []string{h.Get("X-Key")} }, key, tok, "abc")
	escTok, _ := json.Marshal(tok)
	next := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{
			Content: []mcp.Content{
				mcp.NewTextContent("k=" + key + " t=" + tok + " c=" + callerKey + " short abc stays"),
				mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "x:", Text: "e " + key}),
			},
			StructuredContent: map[string]any{"echo": key, "tok": tok, "c": callerKey},
		}, nil
	}
	var req mcp.CallToolRequest
	req.Header = http.Header{"X-Key": {callerKey}}
	res, err := m.wrap(next)(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	emb := res.Content[1].(mcp.EmbeddedResource).Resource.(mcp.TextResourceContents).Text
	sc := res.StructuredContent.(json.RawMessage)
	for _, part := range []string{text, emb, string(sc)} {
		for _, sec := range []string{key, tok, callerKey, string(escTok[1 : len(escTok)-1])} {
			if strings.Contains(part, sec) {
				t.Errorf("%q left in %q", sec, part)
			}
		}
	}
	if !strings.Contains(text, "abc stays") || !json.Valid(sc) {
		t.Errorf("masked too much or broke the JSON: %q %s", text, sc)
	}
	if newMasker(nil) != nil || newMasker(nil, "abc") != nil {
		t.Error("a masker with nothing to mask should be nil, so that it costs nothing")
	}
}

// TestRetryAfterTextCapped: the wait shown is capped at an hour.
func TestRetryAfterTextCapped(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "a minute",
		1500 * time.Millisecond: "2s",
		90 * time.Second:        "1m30s",
		time.Hour:               "1h0m0s",
		1<<63 - 1:               "more than an hour",
	} {
		if got := retryAfterText(d); !strings.HasPrefix(got, want) {
			t.Errorf("retryAfterText(%v) = %q, want %q…", d, got, want)
		}
	}
}
