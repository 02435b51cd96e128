package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// callRouter reads stdin ahead of mcp-go's stdio server and serves tools/call
// requests itself; every other line passes through to mcp-go unchanged.
//
// It does what mcp-go's stdio workers do (MCPServer.HandleMessage in the
// stdio session's context, at most StdioWorkers at once, stdioQueue more
// waiting), with two costs taken out. mcp-go decodes each line six times
// before a worker sees it, and encodes each result with encoding/json, which
// re-compacts every json.RawMessage it meets and then the whole message
// again: for a 256 KiB API response, carried in both the text block and
// structuredContent, that is three passes of its scanner over up to 512 KiB.
// Here a line is decoded once to route it, and a result is written by
// appendMessage, which produces encoding/json's exact bytes in one pass.
type callRouter struct {
	srv    *server.MCPServer
	in     *bufio.Reader
	out    *lockedWriter
	errLog *log.Logger

	// ctx is the stdio session's context, which mcp-go hands to setContext
	// before it first reads; cancel ends the calls still running at close.
	ctx    context.Context
	cancel context.CancelFunc

	slots  chan struct{} // one per running call
	queued atomic.Int64  // calls running or waiting for a slot

	mu     sync.Mutex
	closed bool
	calls  sync.WaitGroup

	pending []byte // the rest of a line being passed to mcp-go
	line    []byte // reused for lines longer than in's buffer
	err     error  // in's error, returned once pending is empty
	bufs    sync.Pool
}

func newCallRouter(srv *server.MCPServer, in io.Reader, out io.Writer, errLog *log.Logger) *callRouter {
	return &callRouter{
		srv:    srv,
		in:     bufio.NewReaderSize(in, 64<<10),
		out:    &lockedWriter{w: out},
		errLog: errLog,
		ctx:    context.Background(),
		cancel: func() {},
		slots:  make(chan struct{}, StdioWorkers),
	}
}

// setContext is mcp-go's stdio context function.
func (r *callRouter) setContext(ctx context.Context) context.Context {
	r.ctx, r.cancel = context.WithCancel(ctx)
	return ctx
}

// Read implements io.Reader for mcp-go: the input, less the tools/call lines.
func (r *callRouter) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		line, err := r.readLine()
		r.err = err
		if len(line) > 0 && !r.route(line) {
			r.pending = line
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// readLine returns the next line with its newline (none at the end of the
// input); the slice is valid until the next call.
func (r *callRouter) readLine() ([]byte, error) {
	b, err := r.in.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return b, err
	}
	r.line = append(r.line[:0], b...)
	for {
		b, err = r.in.ReadSlice('\n')
		r.line = append(r.line, b...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return r.line, err
		}
	}
}

// route serves line if it is a tools/call request, and reports whether it
// did. As in mcp-go, a line that is not valid JSON, or that answers a request
// of the server's, is left to mcp-go.
func (r *callRouter) route(line []byte) bool {
	var head struct {
		Method string          `json:"method"`
		ID     any             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(line, &head) != nil || head.Method != string(mcp.MethodToolsCall) || head.Result != nil || head.Error != nil {
		return false
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.calls.Add(1)
	r.mu.Unlock()
	msg := bytes.Clone(bytes.TrimSpace(line))
	if r.queued.Add(1) > StdioWorkers+stdioQueue {
		// As mcp-go does with a full queue: run it here, which stops reading.
		r.serve(head.ID, msg)
		return true
	}
	go func() {
		r.slots <- struct{}{}
		r.serve(head.ID, msg)
		<-r.slots
	}()
	return true
}

// serve runs one call and writes its answer.
func (r *callRouter) serve(id any, msg []byte) {
	defer r.calls.Done()
	defer r.queued.Add(-1)
	resp := r.handle(id, msg)
	if resp == nil {
		return // a notification
	}
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b, err := appendMessage((*bp)[:0], resp)
	if err == nil {
		_, err = r.out.Write(b)
	}
	if err != nil {
		r.errLog.Printf("Error writing tool response: %v", err)
	}
	if cap(b) <= maxPooledAnswer {
		// Reusing the buffer spares allocating and zeroing it per call (a
		// tenth of the CPU of a 256 KiB answer); a larger one is not kept,
		// so that one huge answer does not stay in memory.
		*bp = b
		r.bufs.Put(bp)
	}
}

// handle is MCPServer.HandleMessage with mcp-go's worker's panic recovery.
func (r *callRouter) handle(id any, msg []byte) (resp mcp.JSONRPCMessage) {
	defer func() {
		if p := recover(); p != nil {
			r.errLog.Printf("panic recovered in stdio tool call worker: %v", p)
			resp = mcp.JSONRPCError{
				JSONRPC: mcp.JSONRPC_VERSION,
				ID:      mcp.NewRequestId(id),
				Error:   mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, fmt.Sprintf("internal panic: %v", p), nil),
			}
		}
	}()
	return r.srv.HandleMessage(r.ctx, msg)
}

// close stops routing, cancels the calls still running, and waits for them.
func (r *callRouter) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.calls.Wait()
}

// maxPooledAnswer bounds the answer buffers kept for reuse.
const maxPooledAnswer = 1 << 20

// lockedWriter serialises whole messages from mcp-go and the router; each
// message reaches it in one Write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
