package replays

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// retried is a client hook that sends each command twice and answers the
// second reply: what a client sees when the store applied a command, the
// connection dropped before the reply, and the client retried it.
type retried struct{}

func (retried) DialHook(next redis.DialHook) redis.DialHook { return next }

func (retried) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		_ = next(ctx, cmd)
		return next(ctx, cmd)
	}
}

func (retried) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A claim whose command was applied and then retried finds its own marker
// and is still the first attempt, not a call "still running" forever; a
// second claim of the key is not.
func TestClaimRetriedIsStillFirst(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := srv.Open(t)
	st.Client().AddHook(retried{})
	r := New(st)
	ctx := context.Background()
	first, rec, err := r.Claim(ctx, "k", time.Minute)
	if !first || rec != nil || err != nil {
		t.Fatalf("retried claim: first %v, %q, %v", first, rec, err)
	}
	if first, rec, err := New(srv.Open(t)).Claim(ctx, "k", time.Minute); first || rec != nil || err != nil {
		t.Errorf("second claim: first %v, %q, %v", first, rec, err)
	}
	if err := r.Record(ctx, "k", []byte(`{"content":[]}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if first, rec, err := r.Claim(ctx, "k", time.Minute); first || string(rec) != `{"content":[]}` || err != nil {
		t.Errorf("after the record: first %v, %q, %v", first, rec, err)
	}
}

// A released claim (a confirmed call that sent nothing) is claimed afresh
// by the repeat, on any replica.
func TestReleasedClaimIsClaimedAgain(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a, b := New(srv.Open(t)), New(srv.Open(t))
	ctx := context.Background()
	if first, _, err := a.Claim(ctx, "k", time.Minute); !first || err != nil {
		t.Fatalf("claim: %v %v", first, err)
	}
	if err := a.Release(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if first, rec, err := b.Claim(ctx, "k", time.Minute); !first || rec != nil || err != nil {
		t.Errorf("after release: first %v, %q, %v", first, rec, err)
	}
}
