package composiotest

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

// TestSampleImages checks that the embedded sample images are the bytes the
// standard library's encoders write for the sample gradient; with
// -update-samples it rewrites them instead.
func TestSampleImages(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			img.Set(x, y, color.RGBA{R: uint8(64 * x), G: uint8(64 * y), B: 200, A: 255})
		}
	}
	for _, tt := range []struct {
		file     string
		embedded []byte
		encode   func(*bytes.Buffer) error
	}{
		{"samples/tiny.png", samplePNG, func(b *bytes.Buffer) error { return png.Encode(b, img) }},
		{"samples/tiny.jpg", sampleJPEG, func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) }},
		{"samples/tiny.gif", sampleGIF, func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) }},
	} {
		var b bytes.Buffer
		if err := tt.encode(&b); err != nil {
			t.Fatal(err)
		}
		if *updateSamples {
			if err := os.WriteFile(tt.file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(tt.embedded, b.Bytes()) {
			t.Errorf("%s is not what the encoder writes: go test ./client/composiotest -run TestSampleImages -update-samples", tt.file)
		}
	}
}

// updateSamples makes TestSampleImages write the samples instead of checking them.
var updateSamples = flag.Bool("update-samples", false, "rewrite the sample images in samples/ from the encoders")
