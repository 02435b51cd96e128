package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// fakeCreator counts CreateSession calls; gate, when set, holds each call
// until it is closed, so that callers pile up behind one creation.
type fakeCreator struct {
	calls atomic.Int32
	gate  chan struct{}
	err   error
}

func (f *fakeCreator) CreateSession(ctx context.Context, req *client.CreateSessionRequest) (*client.Session, error) {
	n := f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return &client.Session{SessionID: fmt.Sprintf("trs_%s_%d", req.UserID, n)}, nil
}

var notFound = &client.APIError{HTTPStatus: 404, Slug: client.SlugSessionNotFound}

func TestCurrentCreatesOnce(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{}
	m := New(f, Config{UserID: "u"})
	for range 3 {
		id, err := m.Current(context.Background())
		if err != nil || id != "trs_u_1" {
			t.Fatalf("Current = %q, %v", id, err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d creations, want 1", n)
	}
}

func TestCurrentWithoutUserOrSession(t *testing.T) {
	t.Parallel()
	if _, err := New(&fakeCreator{}, Config{}).Current(context.Background()); !errors.Is(err, ErrNoSession) {
		t.Errorf("err = %v, want ErrNoSession", err)
	}
}

func TestRunRenewsOnceAndRepeatsOnce(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{}
	m := New(f, Config{SessionID: "trs_old", UserID: "u"})
	var seen []string
	err := m.Run(context.Background(), func(id string) error {
		seen = append(seen, id)
		if id == "trs_old" {
			return fmt.Errorf("call: %w", notFound)
		}
		return nil
	})
	if err != nil || fmt.Sprint(seen) != "[trs_old trs_u_1]" {
		t.Errorf("Run = %v, ids %v", err, seen)
	}
	if m.ID() != "trs_u_1" {
		t.Errorf("ID = %q", m.ID())
	}
}

func TestRunGivesUpAfterSecondExpiry(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{}
	m := New(f, Config{SessionID: "trs_old", UserID: "u"})
	var calls int
	err := m.Run(context.Background(), func(string) error { calls++; return notFound })
	if !IsNotFound(err) || calls != 2 || f.calls.Load() != 1 {
		t.Errorf("err=%v calls=%d creations=%d, want not found, 2, 1", err, calls, f.calls.Load())
	}
}

func TestRunWithoutUserReturnsError(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{}
	m := New(f, Config{SessionID: "trs_old"})
	var calls int
	err := m.Run(context.Background(), func(string) error { calls++; return notFound })
	if !IsNotFound(err) || calls != 1 || f.calls.Load() != 0 {
		t.Errorf("err=%v calls=%d creations=%d", err, calls, f.calls.Load())
	}
	other := errors.New("boom")
	if err := m.Run(context.Background(), func(string) error { return other }); err != other {
		t.Errorf("err = %v, want it unchanged", err)
	}
}

func TestConcurrentExpiriesShareOneCreation(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{gate: make(chan struct{})}
	m := New(f, Config{SessionID: "trs_old", UserID: "u"})
	const n = 20
	var wg sync.WaitGroup
	var failed atomic.Int32 // callers that have seen the expiry
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- m.Run(context.Background(), func(id string) error {
				if id == "trs_old" {
					failed.Add(1)
					return notFound
				}
				if id != "trs_u_1" {
					return fmt.Errorf("id %q", id)
				}
				return nil
			})
		})
	}
	// Let every caller reach the creation before it finishes.
	for failed.Load() < n {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c := f.calls.Load(); c != 1 {
		t.Errorf("%d creations for %d concurrent expiries, want 1", c, n)
	}
}

func TestWaiterCancellationDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{gate: make(chan struct{})}
	m := New(f, Config{UserID: "u"})
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { _, err := m.Current(first); firstErr <- err }()
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	second := make(chan string, 1)
	go func() { id, _ := m.Current(context.Background()); second <- id }()
	close(f.gate)
	if id := <-second; id != "trs_u_1" {
		t.Errorf("second caller got %q", id)
	}
	if c := f.calls.Load(); c != 1 {
		t.Errorf("%d creations, want 1", c)
	}
}

func TestFailedCreationIsRetriedByNextCaller(t *testing.T) {
	t.Parallel()
	f := &fakeCreator{err: errors.New("down")}
	m := New(f, Config{SessionID: "trs_old", UserID: "u"})
	err := m.Run(context.Background(), func(string) error { return notFound })
	if err == nil || !errors.Is(err, f.err) {
		t.Fatalf("err = %v", err)
	}
	f.err = nil
	if err := m.Run(context.Background(), func(id string) error {
		if id == "trs_old" {
			return notFound
		}
		return nil
	}); err != nil {
		t.Errorf("after recovery: %v", err)
	}
	if c := f.calls.Load(); c != 2 {
		t.Errorf("%d creations, want 2", c)
	}
}

// Against the fake backend: an expired session is replaced by one for the same
// user and toolkits.
func TestRenewAgainstFakeBackend(t *testing.T) {
	t.Parallel()
	fake := composiotest.NewServer()
	t.Cleanup(fake.Close)
	c, err := fake.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := New(c, Config{UserID: "alice", Toolkits: []string{"github"}})
	first, err := m.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake.ExpireSession(first)
	var resp *client.ProxyResponse
	err = m.Run(ctx, func(id string) (err error) {
		resp, err = c.ProxyExecute(ctx, id, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"})
		return err
	})
	if err != nil || resp.Status != 200 {
		t.Fatalf("Run = %v, %+v", err, resp)
	}
	second := m.ID()
	if second == first {
		t.Errorf("session not replaced")
	}
	s, err := c.GetSession(ctx, second)
	if err != nil || s.Config.UserID != "alice" || fmt.Sprint(s.Config.Toolkits.Enabled) != "[github]" {
		t.Errorf("new session = %+v, %v", s, err)
	}
}

func TestPoolEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	p := NewPool(2)
	made := 0
	get := func(k string) *Manager {
		return p.Get(k, func() *Manager { made++; return New(&fakeCreator{}, Config{UserID: k}) })
	}
	a := get("a")
	get("b")
	if get("a") != a { // a is now the most recent
		t.Error("a was not kept")
	}
	get("c") // evicts b
	if p.Len() != 2 || made != 3 {
		t.Errorf("len=%d made=%d", p.Len(), made)
	}
	get("b")
	if made != 4 {
		t.Errorf("b was not evicted: made=%d", made)
	}
	if get("a").UserID() != "a" {
		t.Error("wrong manager")
	}
}

// A group holds at most its limit of Managers; evicting one frees its place.
func TestPoolGetLimited(t *testing.T) {
	t.Parallel()
	p := NewPool(3)
	get := func(k, g string) bool {
		_, ok := p.GetLimited(k, g, 2, func() *Manager { return New(&fakeCreator{}, Config{UserID: k}) })
		return ok
	}
	if !get("a1", "a") || !get("a2", "a") || get("a3", "a") {
		t.Fatal("the group's limit of 2 was not applied")
	}
	if !get("a1", "a") {
		t.Error("a key already held was refused")
	}
	if !get("b1", "b") || !get("b2", "b") { // evicts a2
		t.Fatal("another group was refused")
	}
	if !get("a3", "a") {
		t.Error("an evicted Manager still counts against its group")
	}
}
