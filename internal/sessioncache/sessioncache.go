// Package sessioncache keeps the tool-router session ids of a fleet in its
// shared store: a session.Shared on Redis, so that replicas serving one user
// use one session, and a replacement made by one is seen by all.
//
// Keys are the Managers' hashes, under store.Key("session", …): no user id,
// option or credential in the clear. Every command is bounded by the
// store's own bound.
package sessioncache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// TTL is how long a cached session id is kept after it was last published
// or read: one in use never runs out.
// Composio documents no session lifetime; a forgotten id is published again
// by the next replica that uses it, so this only bounds what the store holds.
const TTL = 24 * time.Hour

// Redis is a session.Shared on the store.
type Redis struct {
	st *store.Redis
}

// New returns the session cache on st.
func New(st *store.Redis) *Redis { return &Redis{st: st} }

func idKey(key string) string   { return store.Key("session", key) }
func lockKey(key string) string { return store.Key("session-lock", key) }

// Load implements session.Shared, and renews the id's TTL (GETEX): were it
// counted from the last publish, the entry of a session in use would run
// out, and a replica could publish again an id replaced since.
func (r *Redis) Load(ctx context.Context, key string) (string, error) {
	id, err := r.st.Client().GetEx(ctx, idKey(key), TTL).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return id, r.st.Err("session-load", err)
}

// swap sets KEYS[1] to ARGV[2] for ARGV[3] ms unless it holds a value other
// than ARGV[1].
var swap = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)

// CompareAndSwap implements session.Shared.
func (r *Redis) CompareAndSwap(ctx context.Context, key, old, id string) (bool, error) {
	n, err := swap.Run(ctx, r.st.Client(), []string{idKey(key)}, old, id, TTL.Milliseconds()).Int()
	if err = r.st.Err("session-swap", err); err != nil {
		return false, err
	}
	return n == 1, nil
}

// release deletes KEYS[1] if it still holds ARGV[1]: the lock is ours.
var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock implements session.Shared: SET NX PX with a token of our own, so that
// unlock never releases a lock that ran out and was taken by another.
func (r *Redis) Lock(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	token := hex.EncodeToString(tok)
	ok, err := r.st.Client().SetNX(ctx, lockKey(key), token, ttl).Result()
	if err = r.st.Err("session-lock", err); err != nil || !ok {
		return nil, false, err
	}
	unlock := func() {
		ctx := context.WithoutCancel(ctx) // released even when the caller gave up
		// A failed release leaves the lock to run out by itself.
		_ = release.Run(ctx, r.st.Client(), []string{lockKey(key)}, token).Err()
	}
	return unlock, true, nil
}
