package client

import (
	"bytes"
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
