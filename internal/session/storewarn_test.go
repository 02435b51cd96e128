package session

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// downStore is a shared cache that never answers.
type downStore struct{}

var errDown = errors.New("store down")

func (downStore) Load(context.Context, string) (string, error) { return "", errDown }
func (downStore) CompareAndSwap(context.Context, string, string, string) (bool, error) {
	return false, errDown
}
func (downStore) Lock(context.Context, string, time.Duration) (func(), bool, error) {
	return nil, false, errDown
}

// lineCounter counts log lines.
type lineCounter struct {
	mu sync.Mutex
	n  int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += strings.Count(string(p), "\n")
	c.mu.Unlock()
	return len(p), nil
}

// The Managers of a pool share one StoreWarn: a store that is down is
// logged once per interval for them all, not once for each, and each still
// works from memory.
func TestPoolWarnsOnce(t *testing.T) {
	t.Parallel()
	lines := &lineCounter{}
	cfg := Config{Shared: downStore{}, Owner: "o", Logger: slog.New(slog.NewTextHandler(lines, &slog.HandlerOptions{Level: slog.LevelWarn})),
		StoreWarn: &rate.Sometimes{Interval: time.Hour}}
	for _, user := range []string{"alice", "bob", "carol"} {
		cfg.UserID = user
		m := New(&fakeCreator{}, cfg)
		if _, err := m.Current(context.Background()); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
	}
	if lines.n != 1 {
		t.Errorf("%d warnings for three Managers with the store down, want 1", lines.n)
	}
}
