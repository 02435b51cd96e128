// Package replays keeps the outcomes of confirmed calls in a fleet's shared
// store: a tools.Replays on Redis, so that a confirmed write repeated on any
// replica (a retry after a lost answer) is answered with its recorded result
// and not sent twice.
//
// The first attempt claims its key with SET NX (a marker of its own, for the
// state's lifetime), then replaces the marker with its result (SET PX), or
// deletes it when the call was not sent. Keys are the tools' hashes of the
// request state, under store.Key("replay", …).
package replays

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// runningPrefix starts the marker of a first attempt under way, followed by
// a token drawn per claim. A recorded result is a JSON object, so it never
// starts so.
const runningPrefix = "running:"

// claimScript claims KEYS[1] with the marker ARGV[1] for ARGV[2] ms, unless
// it holds something else: it answers 1 when the marker is ours (claimed
// now, or by an earlier try of this very claim: a command applied before
// the connection dropped and retried by the client), else the value held,
// or false when it vanished.
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return 1 end
return v
`)

// Redis is a tools.Replays on the store.
type Redis struct {
	st *store.Redis
}

// New returns the replays kept on st.
func New(st *store.Redis) *Redis { return &Redis{st: st} }

// Claim implements tools.Replays.
func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, []byte, error) {
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	v, err := claimScript.Run(ctx, r.st.Client(), []string{store.Key("replay", key)},
		runningPrefix+hex.EncodeToString(token), ttl.Milliseconds()).Result()
	if errors.Is(err, redis.Nil) {
		// Gone between the two commands (it ran out): claimed by nobody, so
		// report it still running; the repeat asks again in a moment.
		return false, nil, nil
	}
	if err = r.st.Err("replay-claim", err); err != nil {
		return false, nil, err
	}
	switch v := v.(type) {
	case int64:
		return true, nil, nil
	case string:
		if strings.HasPrefix(v, runningPrefix) {
			return false, nil, nil
		}
		return false, []byte(v), nil
	}
	return false, nil, nil
}

// Release implements tools.Replays.
func (r *Redis) Release(ctx context.Context, key string) error {
	return r.st.Err("replay-release", r.st.Client().Del(ctx, store.Key("replay", key)).Err())
}

// Record implements tools.Replays.
func (r *Redis) Record(ctx context.Context, key string, result []byte, ttl time.Duration) error {
	return r.st.Err("replay-record", r.st.Client().Set(ctx, store.Key("replay", key), result, ttl).Err())
}
