package client

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// bodyBufs holds the buffers that success bodies are read into. A body is
// only decoded, and decoding copies what it keeps, so its buffer can serve the
// next call: reading a 256 KiB answer with io.ReadAll allocated about three
// times its size as the buffer grew.
var bodyBufs sync.Pool

// maxPooledBody bounds the buffers kept, so that one huge answer does not
// stay in memory after its call.
const maxPooledBody = 1 << 20

func getBodyBuf() *bytes.Buffer {
	if b, ok := bodyBufs.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func putBodyBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledBody {
		return
	}
	b.Reset()
	bodyBufs.Put(b)
}

// readBody reads at most limit+1 bytes of resp's body. A body announced no
// larger than maxPooledBody (or not announced) is read into a pooled buffer,
// returned as pooled for the caller to put back once it is done with b. A
// larger announced body is read into a buffer of exactly its size, which the
// caller owns: growing a buffer by doubling to 30 MiB allocates about twice
// that, and holds the old and the new at once.
func readBody(resp *http.Response, limit int64) (b []byte, pooled *bytes.Buffer, err error) {
	r := io.LimitReader(resp.Body, limit+1)
	if n := resp.ContentLength; n > maxPooledBody && n <= limit {
		// The transport ends the body at the announced length, and reports
		// a shorter one as io.ErrUnexpectedEOF.
		b = make([]byte, n)
		m, err := io.ReadFull(r, b)
		return b[:m], nil, err
	}
	buf := getBodyBuf()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, buf, err
	}
	if buf.Cap() > maxPooledBody {
		// Too large to pool (see putBodyBuf): hand it over instead.
		return buf.Bytes(), nil, nil
	}
	return buf.Bytes(), buf, nil
}
