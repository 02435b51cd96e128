package sessioncache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// failingCreator fails every creation after delay, as Composio down or a
// bad key would.
type failingCreator struct{ delay time.Duration }

func (f failingCreator) CreateSession(context.Context, *client.CreateSessionRequest) (*client.Session, error) {
	time.Sleep(f.delay)
	return nil, errors.New("composio: 503")
}

// When the replica holding the creation lock fails to create, a replica
// waiting on it notices the lock released and goes on (here, failing its
// own creation) instead of waiting the lock's whole TTL.
func TestWaiterNoticesAFailedCreation(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := session.Config{UserID: "alice", Owner: "o"}
	cfg.Shared = New(srv.Open(t))
	a := session.New(failingCreator{delay: 300 * time.Millisecond}, cfg)
	cfg.Shared = New(srv.Open(t))
	b := session.New(failingCreator{}, cfg)
	go func() { _, _ = a.Current(context.Background()) }()
	time.Sleep(100 * time.Millisecond) // A holds the lock
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.Current(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("B waited %s for a creation that had failed after 300ms (err %v)", d.Round(time.Millisecond), err)
	}
	if err == nil {
		t.Error("B's own creation failed, and Current reported no error")
	}
}
