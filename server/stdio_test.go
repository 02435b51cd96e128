package server

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineCapReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 25)
	in := "short\n" + long + "\n" + "exactly10!\n" + long + long + "\nafter\ntail"
	want := "short\n" + long[:10] + string(oversized) + "exactly10!\n" + long[:10] + string(oversized) + "after\ntail"
	for name, r := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(in) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
	} {
		got, err := io.ReadAll(&lineCapReader{r: r(), max: 10})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

func TestLineCapReaderBoundsMemory(t *testing.T) {
	t.Parallel()
	// 64 MiB on one line through a 1 KiB cap: what comes out stays small.
	src := io.MultiReader(io.LimitReader(repeatByte('a'), 64<<20), strings.NewReader("\n{}\n"))
	var out bytes.Buffer
	n, err := io.Copy(&out, &lineCapReader{r: src, max: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1<<10+int64(len(oversized))+3 || !strings.HasSuffix(out.String(), "{}\n") {
		t.Errorf("passed %d bytes, ending %q", n, out.String()[max(0, out.Len()-10):])
	}
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
