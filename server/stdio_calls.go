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
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// callRouter reads stdin ahead of mcp-go's stdio server and serves tools/call
// requests itself; every other line passes through to mcp-go unchanged.
//
// It does what mcp-go's stdio workers do (MCPServer.HandleMessage in the
// stdio session's context, at most stdioWorkers at once, stdioQueue more
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
	out    *stdoutWriter
	errLog *log.Logger

	// budget bounds the bytes of the calls read and not yet answered: the
	// count bound alone let 300 queued 4 MiB calls hold over a GiB.
	budget *byteBudget

	slots  chan struct{} // one per running call
	queued atomic.Int64  // calls running or waiting for a slot

	mu sync.Mutex
	// ctx is the stdio session's context, which mcp-go hands to setContext;
	// nil until then. mcp-go v1.2.1 calls it before it first reads, but
	// nothing promises that: until it comes, tool calls pass through to
	// mcp-go, which serves them in the session as it does any other line.
	ctx context.Context
	// cancel ends the calls still running at close.
	cancel context.CancelFunc
	closed bool
	calls  sync.WaitGroup

	pending []byte // the rest of a line being passed to mcp-go
	line    []byte // reused for lines longer than in's buffer
	err     error  // in's error, returned once pending is empty
	bufs    sync.Pool
}

func newCallRouter(srv *server.MCPServer, in io.Reader, out *stdoutWriter, budget int64, errLog *log.Logger) *callRouter {
	return &callRouter{
		srv:    srv,
		in:     bufio.NewReaderSize(in, 64<<10),
		out:    out,
		budget: newByteBudget(budget),
		errLog: errLog,
		cancel: func() {},
		slots:  make(chan struct{}, stdioWorkers),
	}
}

// setContext is mcp-go's stdio context function: from now on, tool calls
// are the router's, served in ctx.
func (r *callRouter) setContext(ctx context.Context) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil && !r.closed {
		r.ctx, r.cancel = context.WithCancel(ctx)
	}
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
	ctx := r.ctx
	if r.closed || ctx == nil {
		r.mu.Unlock()
		return false
	}
	r.calls.Add(1)
	r.mu.Unlock()
	line = bytes.TrimSpace(line)
	// Past the budget, reading waits here (backpressure on the client's
	// stdin) until answers free bytes; nothing read is dropped but at close.
	held, ok := r.budget.acquire(int64(len(line)))
	if !ok {
		r.calls.Done()
		return true
	}
	msg := bytes.Clone(line)
	if r.queued.Add(1) > stdioWorkers+stdioQueue {
		// As mcp-go does with a full queue: run it here, which stops reading.
		r.serve(ctx, head.ID, msg, held)
		return true
	}
	go func() {
		r.slots <- struct{}{}
		r.serve(ctx, head.ID, msg, held)
		<-r.slots
	}()
	return true
}

// serve runs one call, writes its answer, and then gives back the held bytes
// of the budget.
func (r *callRouter) serve(ctx context.Context, id any, msg []byte, held int64) {
	defer r.calls.Done()
	defer r.queued.Add(-1)
	defer r.budget.release(held)
	resp := r.handle(ctx, id, msg)
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
	if err != nil && !errors.Is(err, errStdoutGone) {
		// Once stdout is given up, every answer is dropped: ServeStdio says
		// so once, not once per answer.
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
func (r *callRouter) handle(ctx context.Context, id any, msg []byte) (resp mcp.JSONRPCMessage) {
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
	return r.srv.HandleMessage(ctx, msg)
}

// close stops routing, cancels the calls still running, and waits for them,
// or until gone is closed: a call whose answer is stuck in a write to a
// stdout nobody reads never returns, and must not hold up the exit.
func (r *callRouter) close(gone <-chan struct{}) {
	r.mu.Lock()
	r.closed = true
	cancel := r.cancel
	r.mu.Unlock()
	r.budget.close()
	cancel()
	done := make(chan struct{})
	go func() {
		r.calls.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-gone:
	}
}

// maxPooledAnswer bounds the answer buffers kept for reuse.
const maxPooledAnswer = 1 << 20

// byteBudget is a weighted semaphore over bytes. One reader acquires, in the
// order lines arrive, so no waiter is starved.
type byteBudget struct {
	mu     sync.Mutex
	cond   sync.Cond
	max    int64
	used   int64
	closed bool
}

func newByteBudget(max int64) *byteBudget {
	b := &byteBudget{max: max}
	b.cond.L = &b.mu
	return b
}

// acquire waits until n bytes fit (a request larger than the whole budget
// waits for all of it, and so runs alone), and returns what it holds; false
// once the budget is closed.
func (b *byteBudget) acquire(n int64) (int64, bool) {
	n = min(n, b.max)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.max && !b.closed {
		b.cond.Wait()
	}
	if b.closed {
		return 0, false
	}
	b.used += n
	return n, true
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// inUse reports the bytes held.
func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *byteBudget) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cond.Broadcast()
}

// errStdoutGone is what writes return once stdout has been given up.
var errStdoutGone = errors.New("stdout given up")

// stdoutChunk is how much one write to the underlying writer carries: a
// pipe's buffer, so that a client reading slowly shows progress within one
// large answer.
const stdoutChunk = 64 << 10

// stdoutWriter serialises whole messages from mcp-go and the router (each
// message reaches it in one Write), and gives stdout up for good when a write
// fails (EPIPE: the client closed it) or, once shutdown has begun, when a
// write has made no progress for the grace period (the client stopped
// reading). A write blocked in the kernel cannot be interrupted; giving up
// lets everything waiting behind it return, and the process exit.
type stdoutWriter struct {
	w    io.Writer
	lock chan struct{} // holds a token while a message is being written

	busy     atomic.Bool  // a chunk is in w.Write
	progress atomic.Int64 // UnixNano when the current chunk started
	dropped  atomic.Int64 // messages not written once given up

	once sync.Once
	gone chan struct{} // closed when stdout is given up
	err  error         // why; set before gone is closed
	quit func(error)   // told once, when stdout is given up

	graceOnce sync.Once
	stop      chan struct{} // ends the grace watchdog
}

func newStdoutWriter(w io.Writer, quit func(error)) *stdoutWriter {
	return &stdoutWriter{w: w, lock: make(chan struct{}, 1), gone: make(chan struct{}), stop: make(chan struct{}), quit: quit}
}

func (w *stdoutWriter) Write(p []byte) (int, error) {
	select {
	case w.lock <- struct{}{}:
	case <-w.gone:
		w.dropped.Add(1)
		return 0, errStdoutGone
	}
	defer func() { <-w.lock }()
	select {
	case <-w.gone:
		w.dropped.Add(1)
		return 0, errStdoutGone
	default:
	}
	written := 0
	for written < len(p) {
		chunk := p[written:min(len(p), written+stdoutChunk)]
		w.progress.Store(time.Now().UnixNano())
		w.busy.Store(true)
		n, err := w.w.Write(chunk)
		w.busy.Store(false)
		written += n
		if err != nil {
			w.giveUp(fmt.Errorf("writing to stdout: %w", err))
			return written, err
		}
	}
	return written, nil
}

// giveUp drops every answer from now on and tells quit why.
func (w *stdoutWriter) giveUp(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.gone)
		w.quit(err)
	})
}

// startGrace begins the bounded drain: from now on, a write that makes no
// progress for grace gives stdout up. Before shutdown a client that does not
// read merely slows the server (backpressure); after it, nothing else would
// end the process.
func (w *stdoutWriter) startGrace(grace time.Duration) {
	w.graceOnce.Do(func() {
		start := time.Now().UnixNano()
		tick := max(grace/8, time.Millisecond)
		go func() {
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-w.stop:
					return
				case <-w.gone:
					return
				case now := <-t.C:
					since := max(w.progress.Load(), start)
					if w.busy.Load() && now.UnixNano()-since > int64(grace) {
						w.dropped.Add(1) // the answer stuck in the write
						w.giveUp(fmt.Errorf("stdout not read for %s after stdin closed or a signal", grace))
					}
				}
			}
		}()
	})
}

// close ends the grace watchdog.
func (w *stdoutWriter) close() { close(w.stop) }
