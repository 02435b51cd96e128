package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// stdioWorkers is how many tool calls one stdio connection runs at once (in
// callRouter; it is mcp-go's maximum pool size): agents fan out, and a slow
// call must not hold up others.
const stdioWorkers = 100

// mcpgoStdioWorkers is the size of mcp-go's own worker pool, idle but for
// the odd line the router leaves to it: each idle worker is a goroutine.
const mcpgoStdioWorkers = 4

// stdioQueue is how many tool calls may wait for a worker before the reading
// loop itself has to run one (and so stops reading).
const stdioQueue = 10000

// DefaultStdioWriteGrace is StdioOptions.WriteGrace's default.
const DefaultStdioWriteGrace = 5 * time.Second

// DefaultStdioQueueBytes is the least default of StdioOptions.MaxQueuedBytes.
const DefaultStdioQueueBytes = 64 << 20

// StdioOptions configures ServeStdio.
type StdioOptions struct {
	// MaxMessageBytes caps one JSON-RPC line; a longer line is dropped and
	// answered with a parse error. 0 means DefaultMaxRequestBytes.
	MaxMessageBytes int64
	// DrainTimeout bounds how long EOF on stdin waits for calls in flight to
	// answer before the server stops; 0 means 60 s.
	DrainTimeout time.Duration
	// WriteGrace bounds the drain from the other side: after EOF on stdin or
	// ctx done, once a write to out has made no progress for this long (the
	// client stopped reading), the answers not yet written are dropped and
	// ServeStdio returns. 0 means DefaultStdioWriteGrace.
	WriteGrace time.Duration
	// MaxQueuedBytes bounds the bytes of the tool calls read and not yet
	// answered; past it, reading stdin waits. 0 means DefaultStdioQueueBytes
	// or 4 × MaxMessageBytes, whichever is larger.
	MaxQueuedBytes int64
	// Logger receives mcp-go's own error lines; nil discards.
	Logger *slog.Logger
	// Metrics are served on their own listener when Metrics.Listen is set;
	// stdout carries nothing of them.
	Metrics Metrics
}

// ServeStdio serves s over in and out (newline-delimited JSON-RPC) until in
// reaches EOF, which is a clean end (nil), or ctx is done. out carries
// JSON-RPC messages only. At EOF the calls already read still get their
// answers: a client may write its requests and close stdin at once. A write
// to out that fails (the client closed it), or that makes no progress for
// WriteGrace once the end has begun, ends the serving with an error.
func ServeStdio(ctx context.Context, s *Server, in io.Reader, out io.Writer, o StdioOptions) error {
	logger := orDiscard(o.Logger)
	limit := o.MaxMessageBytes
	if limit <= 0 {
		limit = DefaultMaxRequestBytes
	}
	drain := o.DrainTimeout
	if drain <= 0 {
		drain = time.Minute
	}
	grace := o.WriteGrace
	if grace <= 0 {
		grace = DefaultStdioWriteGrace
	}
	budget := o.MaxQueuedBytes
	if budget <= 0 {
		budget = max(DefaultStdioQueueBytes, 4*limit)
	}
	stopMetrics, merr := serveMetrics(ctx, o.Metrics, logger)
	if merr != nil {
		return merr
	}
	defer stopMetrics()
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := newStdoutWriter(out, cancel)
	defer w.close()
	go func() {
		// A signal: the calls are cancelled, and their answers get the
		// grace period to be written.
		select {
		case <-parent.Done():
			w.startGrace(grace)
		case <-w.stop:
		}
	}()
	stdio := server.NewStdioServer(s.mcp)
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	stdio.SetErrorLogger(errLog)
	// Tool calls bypass mcp-go's reading, workers and encoding (see
	// callRouter), which runs stdioWorkers of them at once: mcp-go's own pool
	// is left only the tools/call lines the router does not take.
	server.WithWorkerPoolSize(mcpgoStdioWorkers)(stdio)
	server.WithQueueSize(stdioQueue)(stdio)
	calls := newCallRouter(s.mcp, &lineCapReader{r: in, max: limit}, w, budget, errLog)
	stdio.SetContextFunc(calls.setContext)
	in = &drainingReader{r: calls, ctx: ctx, calls: s.calls, timeout: drain, atEOF: func() { w.startGrace(grace) }}
	listened := make(chan error, 1)
	go func() { listened <- stdio.Listen(ctx, in, w) }()
	var err error
	select {
	case err = <-listened:
	case <-w.gone:
		// mcp-go waits for its workers, one of which may be stuck in a
		// write that will never return.
	}
	calls.close(w.gone)
	select {
	case <-w.gone:
		if n := w.dropped.Load(); n > 0 {
			return fmt.Errorf("%w; %d answers dropped", w.err, n)
		}
		return w.err
	default:
	}
	if errors.Is(err, context.Canceled) && parent.Err() != nil {
		// Asked to stop (a signal): that is a clean end too.
		return nil
	}
	return err
}

// oversized replaces the rest of a line past the cap. It is not JSON, so the
// line earns a JSON-RPC parse error, and the memory held stays bounded
// instead of growing with whatever a client writes.
const oversized = " message over the size limit was dropped\n"

// lineCapReader passes newline-delimited input through, but cuts any line
// longer than max: the rest of it is discarded up to its newline.
type lineCapReader struct {
	r        io.Reader
	max      int64
	line     int64  // bytes of the current line passed through
	skipping bool   // discarding the rest of an over-long line
	pending  []byte // processed bytes not yet returned
	out      []byte // reused backing store of pending
	buf      []byte
	err      error // the underlying reader's error, returned once pending is drained
}

func (l *lineCapReader) Read(p []byte) (int, error) {
	for {
		if len(l.pending) > 0 {
			n := copy(p, l.pending)
			l.pending = l.pending[n:]
			return n, nil
		}
		if l.err != nil {
			return 0, l.err
		}
		if l.buf == nil {
			l.buf = make([]byte, 64<<10)
		}
		n, err := l.r.Read(l.buf)
		l.err = err
		out := l.out[:0]
		chunk := l.buf[:n]
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			end := len(chunk)
			if i >= 0 {
				end = i + 1
			}
			seg := chunk[:end]
			chunk = chunk[end:]
			content := int64(len(seg))
			if i >= 0 {
				content-- // the newline does not count against the cap
			}
			switch {
			case l.skipping:
				// Still inside a line that was cut; it ends at its newline.
				l.skipping = i < 0
			case l.line+content > l.max:
				out = append(out, seg[:l.max-l.line]...)
				out = append(out, oversized...)
				l.line, l.skipping = 0, i < 0
			default:
				out = append(out, seg...)
				l.line += content
				if i >= 0 {
					l.line = 0
				}
			}
		}
		// pending aliases out, which is reused only once pending is drained.
		l.out, l.pending = out, out
	}
}

// drainingReader holds back EOF until the tool calls already read have
// answered (or timeout passes): mcp-go stops its workers at EOF, and a call
// still queued then would get no answer at all.
type drainingReader struct {
	r       io.Reader
	ctx     context.Context
	calls   *inflight
	timeout time.Duration
	atEOF   func()
}

func (d *drainingReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if !errors.Is(err, io.EOF) || n > 0 {
		return n, err
	}
	d.atEOF()
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	// A call read just before EOF may not have reached a worker yet: wait
	// until none has been running for a short moment.
	for quiet := 0; quiet < 3 && ctx.Err() == nil; {
		if d.calls.running() == 0 {
			quiet++
		} else {
			quiet = 0
			d.calls.wait(ctx)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	return 0, io.EOF
}
