package config

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// fastCreator creates a session at once, so that only the store is slow.
type fastCreator struct{}

func (fastCreator) CreateSession(context.Context, *client.CreateSessionRequest) (*client.Session, error) {
	return &client.Session{SessionID: "trs_1"}, nil
}

// With a hung store, the store work of one tool call (the rate gate, the
// session, its result) ends within --timeout: each command is bounded by a
// part of it, and after the first failure the others fail fast.
func TestHungStoreEndsWithinTimeout(t *testing.T) {
	srv := redistest.Start(t)
	c, err := Parse([]string{"--store", srv.URL(), "--transport", "http", "--timeout", "500ms"}, env(map[string]string{"COMPOSIO_API_KEY": "ak_x", "COMPOSIO_USER_ID": "u"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	closeStore, err := c.OpenStore(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	lim := c.sharedLimiter()
	m := session.New(fastCreator{}, c.SessionConfig(nil))
	res := c.ToolsConfig(nil).Results
	ctx := context.Background()
	_, _, _ = lim.Allow(ctx, "k") // warm the pool
	srv.Pause(t)
	defer srv.Resume(t)
	start := time.Now()
	_, _, _ = lim.Allow(ctx, "k")
	_, _ = m.Current(ctx)
	_, _ = res.Keep(ctx, "r", "text/plain", []byte("x"), []int{0})
	if d := time.Since(start); d > c.Timeout {
		sc, _ := c.StoreConfig(nil)
		t.Errorf("store work of one call took %s with --timeout %s (store command bound %s)", d.Round(time.Millisecond), c.Timeout, sc.OpTimeout)
	}
}
