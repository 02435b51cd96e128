package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestRedactMasksEverywhere(t *testing.T) {
	t.Parallel()
	const secret = "ak_live_SECRET_1234"
	var buf bytes.Buffer
	l := New(&buf, Options{Level: slog.LevelDebug, Secrets: []string{secret, "ab"}}) // "ab" is too short to mask
	u, _ := url.Parse("https://x.test/?key=" + secret)
	l = l.With("preset", "with "+secret)
	l.Debug("message "+secret,
		"attr", secret,
		"err", errors.New("failed with "+secret),
		"url", u,
		slog.Group("g", "nested", secret),
		"n", 42,
		"tab", "ab",
	)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Fatalf("secret in log output:\n%s", out)
	}
	if got := strings.Count(out, Mask); got != 6 {
		t.Errorf("%d masks, want 6:\n%s", got, out)
	}
	for _, want := range []string{"n=42", "tab=ab"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNoColorOffTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	New(&buf, Options{Level: slog.LevelInfo}).Info("hello", "k", "v")
	if strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("colour codes written to a non-terminal: %q", buf.String())
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) succeeded")
	}
}

// TestColourOnlyOnATerminalWithoutNoColor holds New to no-color.org: colour
// on a terminal, unless NoColor (from NO_COLOR) says otherwise, and never in
// a file or pipe.
func TestColourOnlyOnATerminalWithoutNoColor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		terminal, noColor, want bool
	}{
		{terminal: true, want: true},
		{terminal: true, noColor: true},
		{terminal: false},
		{terminal: false, noColor: true},
	} {
		var buf bytes.Buffer
		newLogger(&buf, Options{Level: slog.LevelInfo, NoColor: tc.noColor}, tc.terminal).Info("hello", "k", "v")
		if got := strings.Contains(buf.String(), "\x1b["); got != tc.want {
			t.Errorf("terminal=%v NoColor=%v: colour %v, want %v:\n%q", tc.terminal, tc.noColor, got, tc.want, buf.String())
		}
	}
}
