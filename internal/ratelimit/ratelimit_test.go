package ratelimit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/ratelimit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// perMinute is the tests' limit: small, so that a few calls reach it.
const perMinute = 3

// Two limiters on one store (two replicas) share each key's allowance; keys
// do not share; the store holds the key hashed, under the server's prefix.
func TestSharedAllowance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	a, b := ratelimit.New(srv.Open(t), perMinute), ratelimit.New(srv.Open(t), perMinute)
	allowed := 0
	for i := range 6 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		ok, wait, err := lim.Allow(ctx, "caller-secret")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		} else if wait <= 0 || wait > 20*time.Second {
			t.Errorf("refused with retry after %v, want within the 20 s one call takes to refill", wait)
		}
	}
	if allowed != perMinute {
		t.Errorf("%d of 6 calls allowed across two replicas, want 3", allowed)
	}
	if ok, _, _ := a.Allow(ctx, "another caller"); !ok {
		t.Error("another key was limited by the first")
	}
	keys, err := srv.Open(t).Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, store.KeyPrefix+"rate:") || strings.Contains(k, "secret") {
			t.Errorf("store key %q", k)
		}
	}
	if len(keys) != 2 {
		t.Errorf("keys %q, want one per caller", keys)
	}
}

// A store that is down is an error that Is store.ErrUnavailable, within the
// store's bound.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	lim := ratelimit.New(srv.Open(t), perMinute)
	srv.Stop()
	_, _, err := lim.Allow(t.Context(), "k")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want store.ErrUnavailable", err)
	}
}
