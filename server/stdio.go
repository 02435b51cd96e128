package server

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"
)

// StdioWorkers is how many tool calls one stdio connection runs at once. It is
// mcp-go's maximum: agents fan out, and a slow call must not hold up others.
const StdioWorkers = 100

// stdioQueue is how many tool calls may wait for a worker before the reading
// loop itself has to run one (and so stops reading).
const stdioQueue = 10000

// ServeStdio serves s over in and out (newline-delimited JSON-RPC) until in
// reaches EOF, which is a clean end (nil), or ctx is done. out carries JSON-RPC
// messages only; mcp-go's own error lines go to logger.
func ServeStdio(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, logger *slog.Logger) error {
	logger = orDiscard(logger)
	stdio := server.NewStdioServer(s)
	stdio.SetErrorLogger(slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	server.WithWorkerPoolSize(StdioWorkers)(stdio)
	server.WithQueueSize(stdioQueue)(stdio)
	err := stdio.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Asked to stop (a signal): that is a clean end too.
		return nil
	}
	return err
}
