// Package ratelimit keeps the rate limit of a fleet in its shared store: a
// GCRA limiter (github.com/go-redis/redis_rate) on Redis, so that N replicas
// together allow --rate-limit calls a minute per caller, not N times that.
// It is a server.Limiter.
//
// A key is stored hashed, under store.Key("rate", …): never a credential or
// a user id in the clear.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// Redis is a limiter of perMinute calls a minute per key, with a burst of
// perMinute (a full minute's worth at once), as the in-memory limiter.
type Redis struct {
	st    *store.Redis
	lim   *redis_rate.Limiter
	limit redis_rate.Limit
}

// New returns a limiter of perMinute calls per minute per key on st.
func New(st *store.Redis, perMinute int) *Redis {
	return &Redis{st: st, lim: redis_rate.NewLimiter(prefixed{st.Client()}), limit: redis_rate.PerMinute(perMinute)}
}

// Allow implements server.Limiter. An error (the store did not answer within
// its bound) Is store.ErrUnavailable; the caller decides what it means.
func (r *Redis) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := r.lim.Allow(ctx, storeKey(key), r.limit)
	if err = r.st.Err("ratelimit", err); err != nil {
		return false, 0, err
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, res.RetryAfter, nil
}

// storeKey is the store key of a rate-limit key: hashed, so that the store
// holds no caller's identity.
func storeKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return store.Key("rate", hex.EncodeToString(sum[:]))
}

// libraryPrefix is what redis_rate puts before every key. prefixed takes it
// off again, so that every key the server writes starts with
// store.KeyPrefix, and the server can share a database with other programs.
const libraryPrefix = "rate:"

// prefixed is the client redis_rate runs its script through, with its key
// prefix removed.
type prefixed struct{ *redis.Client }

func unprefix(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, libraryPrefix)
	}
	return out
}

func (p prefixed) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.Client.Eval(ctx, script, unprefix(keys), args...)
}

func (p prefixed) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.Client.EvalSha(ctx, sha1, unprefix(keys), args...)
}

func (p prefixed) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.Client.EvalRO(ctx, script, unprefix(keys), args...)
}

func (p prefixed) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.Client.EvalShaRO(ctx, sha1, unprefix(keys), args...)
}

func (p prefixed) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	return p.Client.Del(ctx, unprefix(keys)...)
}
