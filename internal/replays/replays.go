// Package replays keeps the outcomes of confirmed calls in a fleet's shared
// store: a tools.Replays on Redis, so that a confirmed write repeated on any
// replica (a retry after a lost answer) is answered with its recorded result
// and not sent twice.
//
// The first attempt claims its key with SET NX (a marker, for the state's
// lifetime), then replaces the marker with its result (SET PX). Keys are the
// tools' hashes of the request state, under store.Key("replay", …).
package replays

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// running is the marker of a first attempt under way. A recorded result is
// a JSON object, so it never equals it.
const running = "running"

// Redis is a tools.Replays on the store.
type Redis struct {
	st *store.Redis
}

// New returns the replays kept on st.
func New(st *store.Redis) *Redis { return &Redis{st: st} }

// Claim implements tools.Replays.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.st.Timeout())
	defer cancel()
	k := store.Key("replay", key)
	ok, err := r.st.Client().SetNX(ctx, k, running, ttl).Result()
	if err = r.st.Err("replay-claim", err); err != nil {
		return false, nil, err
	}
	if ok {
		return true, nil, nil
	}
	v, err := r.st.Client().Get(ctx, k).Bytes()
	if errors.Is(err, redis.Nil) {
		// Gone between the two commands (it ran out): claimed by nobody, so
		// report it still running; the repeat asks again in a moment.
		return false, nil, nil
	}
	if err = r.st.Err("replay-load", err); err != nil {
		return false, nil, err
	}
	if string(v) == running {
		return false, nil, nil
	}
	return false, v, nil
}

// Record implements tools.Replays.
func (r *Redis) Record(ctx context.Context, key string, result []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, r.st.Timeout())
	defer cancel()
	return r.st.Err("replay-record", r.st.Client().Set(ctx, store.Key("replay", key), result, ttl).Err())
}
