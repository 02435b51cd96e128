package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"redis://127.0.0.1:6379/0", "rediss://valkey.internal:6380/2", "redis://:pw@h:1/0"} {
		if _, err := store.ParseURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://h:1", "127.0.0.1:6379", "redis://", "redis://:s3cret@h:1/notadb"} {
		_, err := store.ParseURL(bad)
		if err == nil {
			t.Errorf("%q: accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error repeats the password: %v", bad, err)
		}
	}
	if !store.HasPassword("redis://:pw@h:1/0") || !store.HasPassword("redis://u:pw@h:1/0") || store.HasPassword("redis://h:1/0") {
		t.Error("HasPassword")
	}
}

// Against a real server: Ping answers, a stopped server is an error that Is
// ErrUnavailable within the command bound, and the same pool answers again
// once the server is back, with no reconnect by the caller.
func TestPingDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var failed []string
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: 500 * time.Millisecond, OnError: func(op string) { failed = append(failed, op) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	err = st.Ping(ctx)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("ping of a stopped server: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ping of a stopped server took %s", d)
	}
	if len(failed) == 0 || failed[0] != "ping" {
		t.Errorf("OnError saw %v, want ping", failed)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("ping after the server came back: %v", err)
	}
}

// A password from Config replaces the URL's, and a wrong one is refused.
func TestPassword(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--requirepass", "right-pass")
	ctx := context.Background()
	good, _ := store.Open(store.Config{URL: "redis://:wrong@" + srv.Addr() + "/0", Password: "right-pass"})
	defer good.Close()
	if err := good.Ping(ctx); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	bad, _ := store.Open(store.Config{URL: srv.URL()})
	defer bad.Close()
	if err := bad.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("without a password: %v", err)
	}
}

// A hung store (it accepts connections and answers nothing) holds a command
// no longer than the command bound, and answers again once it runs.
func TestHungStoreIsBounded(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	start := time.Now()
	err = st.Client().Set(ctx, store.Key("t", "hung"), "v", 0).Err()
	if err == nil {
		t.Fatal("a SET on a hung store succeeded")
	}
	if err := st.Err("t.set", err); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("%v: want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a command on a hung store took %s; the bound is 300ms (one retry)", d)
	}
	// The caller's deadline ends a command sooner than the bound.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_ = st.Client().Get(short, store.Key("t", "hung")).Err()
	if d := time.Since(start); d > time.Second {
		t.Errorf("a command under a 50ms deadline took %s", d)
	}
	srv.Resume(t)
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("ping after the store resumed: %v", err)
	}
}

// After one command finds the store hung, the next fails at once instead of
// waiting its own bound; once the store runs again, commands work after the
// cooldown without a new pool, and a Ping goes through at once and lets
// them through.
func TestBreakerFailsFastThenRecovers(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const bound = 400 * time.Millisecond
	st := openBounded(t, srv, bound)
	ctx := context.Background()
	key := store.Key("t", "breaker")
	if err := st.Client().Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	if err := st.Client().Get(ctx, key).Err(); err == nil {
		t.Fatal("a GET on a hung store succeeded")
	}
	start := time.Now()
	err := st.Client().Get(ctx, key).Err()
	if d := time.Since(start); d > bound/2 {
		t.Errorf("the command after a failure took %s; want a fast failure, well under the %s bound", d, bound)
	}
	if err := st.Err("t.get", err); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("%v: want ErrUnavailable", err)
	}
	srv.Resume(t)
	deadline := time.Now().Add(3 * store.BreakerCooldown)
	for st.Client().Get(ctx, key).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("commands still fail %s after the store resumed", 3*store.BreakerCooldown)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Ping probes even while commands fail fast, and closes the breaker.
	srv.Pause(t)
	if err := st.Ping(ctx); err == nil {
		t.Fatal("a PING on a hung store succeeded")
	}
	srv.Resume(t)
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("ping right after the store resumed: %v", err)
	}
	if err := st.Client().Get(ctx, key).Err(); err != nil {
		t.Fatalf("a GET after a successful ping: %v", err)
	}
}

// A store that refuses connections (it is restarting) fails each command at
// once, so they are not failed fast for it: the first after its return
// works.
func TestRefusedConnectionsDoNotHoldCommandsBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := openBounded(t, srv, 400*time.Millisecond)
	ctx := context.Background()
	key := store.Key("t", "refused")
	srv.Stop()
	if err := st.Client().Set(ctx, key, "v", 0).Err(); err == nil {
		t.Fatal("a SET on a stopped store succeeded")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := st.Client().Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatalf("the first SET after the store returned: %v", err)
	}
}

// openBounded opens a pool to srv with commands bounded by bound, closed
// when the test ends.
func openBounded(t *testing.T, srv *redistest.Server, bound time.Duration) *store.Redis {
	t.Helper()
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
