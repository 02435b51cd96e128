// Package logging builds the program's logger: log/slog with tint's readable
// format, on stderr only (stdout belongs to JSON-RPC), coloured only on a
// terminal, and with every secret it is told about replaced by a mask wherever
// it would appear.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
)

// Mask replaces a secret in log output: the project's one marker.
const Mask = redact.Marker

// Options configures New.
type Options struct {
	// Level is the least level written.
	Level slog.Level
	// NoColor turns colour off even on a terminal; main sets it when the
	// NO_COLOR environment variable is set (no-color.org).
	NoColor bool
	// Secrets are masked wherever they would appear. Those shorter than 4
	// bytes are ignored: masking them would mangle ordinary text without
	// protecting much.
	Secrets []string
}

// New returns a logger writing to w, coloured only when w is a terminal and
// o.NoColor is not set.
func New(w io.Writer, o Options) *slog.Logger {
	return newLogger(w, o, isTerminal(w))
}

// newLogger is New with the terminal check's answer given.
func newLogger(w io.Writer, o Options, terminal bool) *slog.Logger {
	h := tint.NewTextHandler(w, &tint.Options{
		Level:      o.Level,
		TimeFormat: time.TimeOnly,
		NoColor:    !terminal || o.NoColor,
	})
	return slog.New(Redact(h, o.Secrets...))
}

// ParseLevel reads a level name: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Redact wraps h so that every secret is masked in messages and in attribute
// values, including errors and values nested in groups.
func Redact(h slog.Handler, secrets ...string) slog.Handler {
	var list []string
	for _, s := range secrets {
		if len(s) >= 4 {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return h
	}
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Mask)
	}
	return &redactor{next: h, r: strings.NewReplacer(pairs...)}
}

type redactor struct {
	next slog.Handler
	r    *strings.Replacer
}

func (h *redactor) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Replace(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactor{next: h.next.WithAttrs(clean), r: h.r}
}

func (h *redactor) WithGroup(name string) slog.Handler {
	return &redactor{next: h.next.WithGroup(name), r: h.r}
}

// attr masks secrets in one attribute. Values other than strings are rendered
// to text first, since an error or a URL can carry a secret in its string form.
func (h *redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Replace(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		s := v.String()
		if r := h.r.Replace(s); r != s {
			return slog.String(a.Key, r)
		}
		return slog.Attr{Key: a.Key, Value: v}
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}
