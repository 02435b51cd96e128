package tools

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// fetch gets url's bytes, as a client following the download link would.
func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return b
}

// TestInlineImageRoundTrip: an image download comes back as an image block
// whose bytes are exactly the file behind the link, beside the link itself.
func TestInlineImageRoundTrip(t *testing.T) {
	t.Parallel()
	_, c := fakeBackend(t)
	p := testProxy(c, composiotest.SessionID, Config{InlineImagesMax: DefaultInlineImagesMax})
	mc := inProcess(t, p)
	for _, tc := range []struct{ file, mime string }{
		{"pic.png", "image/png"}, {"photo.jpg", "image/jpeg"}, {"anim.gif", "image/gif"}, {"pic.webp", "image/webp"},
	} {
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/`+tc.file+`","method":"GET"}`, nil)
		links := resourceLinks(res)
		var img *mcp.ImageContent
		for _, c := range res.Content {
			if ic, ok := c.(mcp.ImageContent); ok {
				img = &ic
			}
		}
		if res.IsError || len(links) != 1 || img == nil {
			t.Errorf("%s: isError=%v, %d links, image %v: %s", tc.file, res.IsError, len(links), img != nil, text(res))
			continue
		}
		got, err := base64.StdEncoding.DecodeString(img.Data)
		if err != nil {
			t.Fatal(err)
		}
		if want := fetch(t, links[0].URI); !bytes.Equal(got, want) || img.MIMEType != tc.mime {
			t.Errorf("%s: image block is %d bytes of %s, the link serves %d bytes", tc.file, len(got), img.MIMEType, len(want))
		}
	}
}

func TestInlineTextAndJSON(t *testing.T) {
	t.Parallel()
	_, c := fakeBackend(t)
	mc := inProcess(t, testProxy(c, composiotest.SessionID, Config{InlineImagesMax: DefaultInlineImagesMax}))
	for file, want := range map[string]string{
		"notes.txt": "Contents of notes.txt (text/plain, ",
		"data.json": `{"name":"data.json","source":"composiotest"}`,
	} {
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/`+file+`","method":"GET"}`, nil)
		links := resourceLinks(res)
		if len(res.Content) != 3 || len(links) != 1 {
			t.Fatalf("%s: content = %+v", file, res.Content)
		}
		tc, ok := res.Content[2].(mcp.TextContent)
		if !ok || !strings.Contains(tc.Text, want) || !strings.HasSuffix(tc.Text, string(fetch(t, links[0].URI))) {
			t.Errorf("%s: inline text = %+v", file, res.Content[2])
		}
	}
	// Not an image, text or JSON: only the link.
	res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/report.pdf","method":"GET"}`, nil)
	if len(res.Content) != 2 {
		t.Errorf("pdf: %d content blocks", len(res.Content))
	}
}

// TestInlineSizeChecks: the size is checked in binary_data, in
// Content-Length, and while reading, so a response that lies in one of them
// is still not read past the limit.
func TestInlineSizeChecks(t *testing.T) {
	t.Parallel()
	png := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n"), 1000) // 8000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked.png":
			// No Content-Length: only the read limit stops it.
			w.Write(png[:10])
			w.(http.Flusher).Flush()
			w.Write(png[10:])
		case "/label.png":
			w.Write([]byte("this is not an image at all"))
		case "/redirect.png":
			http.Redirect(w, r, "http://example.com/x.png", http.StatusFound)
		case "/missing.png":
			http.NotFound(w, r)
		default:
			w.Write(png)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name string
		bd   client.BinaryData
		want string
	}{
		{"binary_data.size", client.BinaryData{URL: srv.URL + "/a.png", ContentType: "image/png", Size: 5000}, "over this server's inline limit"},
		{"content-length", client.BinaryData{URL: srv.URL + "/a.png", ContentType: "image/png", Size: 10}, "over the inline limit"},
		{"while reading", client.BinaryData{URL: srv.URL + "/chunked.png", ContentType: "image/png"}, "over the inline limit"},
		{"wrong label", client.BinaryData{URL: srv.URL + "/label.png", ContentType: "image/png"}, "the bytes are text/plain"},
		{"redirect off loopback", client.BinaryData{URL: srv.URL + "/redirect.png", ContentType: "image/png"}, "only https download links"},
		{"http off loopback", client.BinaryData{URL: "http://example.com/a.png", ContentType: "image/png"}, "only https download links"},
		{"404", client.BinaryData{URL: srv.URL + "/missing.png", ContentType: "image/png"}, "answered HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bd := tc.bd
			ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 200, Data: []byte(`{}`), BinaryData: &bd}}
			res := call(t, testProxy(ex, "trs_test", Config{InlineImagesMax: 4096}), getUser)
			for _, c := range res.Content {
				if _, ok := c.(mcp.ImageContent); ok {
					t.Errorf("an image was inlined")
				}
			}
			if txt := text(res); !strings.Contains(txt, "Not shown inline") || !strings.Contains(txt, tc.want) {
				t.Errorf("text lacks %q:\n%s", tc.want, txt)
			}
		})
	}
}

func TestDownloadAllowed(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"https://s3.amazonaws.com/x?sig=1": true,
		"http://127.0.0.1:8080/files/x":    true,
		"http://[::1]:8080/files/x":        true,
		"http://localhost/files/x":         true,
		"http://s3.amazonaws.com/x":        false,
		"http://10.0.0.1/x":                false,
		"ftp://127.0.0.1/x":                false,
		"file:///etc/passwd":               false,
	} {
		u, _ := url.Parse(raw)
		if got := downloadAllowed(u) == nil; got != ok {
			t.Errorf("%s: allowed = %v, want %v", raw, got, ok)
		}
	}
}

// A downloaded text file that echoes a secret is masked both where the result
// shows it and in the whole file kept in the result store, which
// resources/read serves as it was kept.
func TestInlineTextMasksSecrets(t *testing.T) {
	t.Parallel()
	const secret = "Hello from composiotest"
	_, c := fakeBackend(t)
	for _, limit := range []int{0, 10} {
		p := testProxy(c, composiotest.SessionID, Config{InlineImagesMax: DefaultInlineImagesMax,
			MaxResultBytes: limit, Results: results.New(results.Config{}), Secrets: []string{secret}})
		mc := inProcess(t, p)
		res := callArgs(t, mc, `{"toolkit_slug":"gmail","endpoint":"/download/notes.txt","method":"GET"}`, nil)
		all := text(res)
		for _, l := range resourceLinks(res) {
			if !strings.HasPrefix(l.URI, results.URIPrefix) {
				continue
			}
			var req mcp.ReadResourceRequest
			req.Params.URI = l.URI
			rr, err := mc.ReadResource(testContext(t), req)
			if err != nil {
				t.Fatalf("limit %d: reading %s: %v", limit, l.URI, err)
			}
			for _, c := range rr.Contents {
				if tc, ok := c.(mcp.TextResourceContents); ok {
					all += tc.Text
				}
			}
		}
		if strings.Contains(all, secret) || !strings.Contains(all, "[REDACTED]") {
			t.Errorf("limit %d: the secret is not masked: %s", limit, all)
		}
	}
}
