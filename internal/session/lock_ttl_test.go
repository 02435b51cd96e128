package session

import (
	"context"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// lockRecorder is a Shared that records the creation lock's TTL.
type lockRecorder struct{ ttl time.Duration }

func (*lockRecorder) Load(context.Context, string) (string, error) { return "", nil }
func (*lockRecorder) CompareAndSwap(context.Context, string, string, string) (bool, error) {
	return true, nil
}
func (l *lockRecorder) Lock(_ context.Context, _ string, ttl time.Duration) (func(), bool, error) {
	l.ttl = ttl
	return func() {}, true, nil
}

type oneCreator struct{}

func (oneCreator) CreateSession(context.Context, *client.CreateSessionRequest) (*client.Session, error) {
	return &client.Session{SessionID: "trs_1"}, nil
}

// The creation lock outlives the creation's bound (the call timeout), so
// that no other replica starts a second creation while the first may still
// succeed.
func TestCreationLockOutlivesTheCreation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		create, atLeast time.Duration
	}{
		{0, DefaultCreateTimeout},
		{50 * time.Second, 50 * time.Second},
		{2 * time.Minute, 2 * time.Minute},
	} {
		rec := &lockRecorder{}
		m := New(oneCreator{}, Config{UserID: "u", Shared: rec, CreateTimeout: tc.create})
		if _, err := m.Current(t.Context()); err != nil {
			t.Fatal(err)
		}
		if rec.ttl < tc.atLeast {
			t.Errorf("CreateTimeout %s: lock TTL %s, want at least %s", tc.create, rec.ttl, tc.atLeast)
		}
	}
}
