package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// setLogger points go-redis's logger, which is process-wide and by default
// writes to stderr in its own format, at l: the client's lines (reconnects,
// pool errors) then go through the server's log and its redaction. A process
// opens one store, so the last Open's logger is the one.
func setLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	redis.SetLogger(slogLogger{l})
}

// slogLogger is go-redis's logging interface over slog.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(ctx context.Context, format string, v ...any) {
	s.l.WarnContext(ctx, "store client: "+fmt.Sprintf(format, v...))
}
