package composiotest

import (
	_ "embed" // the sample images
	"path"
	"strings"
)

// The sample images, a 4×4 gradient small enough to inline anywhere and
// still real images, are served as the standard library's encoders wrote
// them (TestSampleImages encodes them again and compares), so that a server
// that links the fake for --sandbox does not link the encoders.
var (
	//go:embed samples/tiny.png
	samplePNG []byte
	//go:embed samples/tiny.jpg
	sampleJPEG []byte
	//go:embed samples/tiny.gif
	sampleGIF []byte
)

// samplePDF is a minimal one-page PDF.
const samplePDF = "%PDF-1.4\n" +
	"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >> endobj\n" +
	"trailer << /Root 1 0 R >>\n" +
	"%%EOF\n"

// sampleWebP is a RIFF/WEBP header around a placeholder frame: enough for type
// sniffing, not for decoding (the standard library has no WebP encoder).
var sampleWebP = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// fileContent returns the bytes and content type the fake serves for a file name,
// chosen by its extension.
func fileContent(name string) ([]byte, string) {
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".png":
		return samplePNG, "image/png"
	case ".jpg", ".jpeg":
		return sampleJPEG, "image/jpeg"
	case ".gif":
		return sampleGIF, "image/gif"
	case ".webp":
		return sampleWebP, "image/webp"
	case ".pdf":
		return []byte(samplePDF), "application/pdf"
	case ".txt":
		return []byte("Hello from composiotest: " + name + "\n"), "text/plain"
	case ".json":
		return []byte(`{"name":` + quote(name) + `,"source":"composiotest"}`), "application/json"
	default:
		b := []byte("composiotest binary file " + name + "\n")
		for i := range 256 {
			b = append(b, byte(i))
		}
		return b, "application/octet-stream"
	}
}

func quote(s string) string { return string(mustJSON(s)) }

// badGatewayPage is what a load balancer in front of Composio answers with when the
// backend is down: about 3 KB of HTML, with non-ASCII text throughout so that cutting
// it on a UTF-8 boundary matters.
var badGatewayPage = func() string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>\n<h1>502 Bad Gateway</h1>\n")
	for b.Len() < 3000 {
		b.WriteString("<p>The upstream server — composiotest — sent an invalid response. Réessayez plus tard. ")
		b.WriteString("Retry later.</p>\n")
	}
	b.WriteString("<hr><center>composiotest</center>\n</body></html>\n")
	return b.String()
}()
