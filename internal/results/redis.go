package results

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// redisBackend keeps results in the shared store, so that every replica
// reads what any of them kept. Each owner's keys are under a hash of the
// owner (never the owner in clear), in one hash slot:
//
//	cpm:results:{<owner hash>}:index     sorted set: id → expiry (µs), in keeping order
//	cpm:results:{<owner hash>}:sizes     hash: id → bytes
//	cpm:results:{<owner hash>}:<id>:meta hash: name, mime, pages, …
//	cpm:results:{<owner hash>}:<id>:data the bytes, once
//
// A read by another owner builds other keys, so it cannot even find the
// result; eviction works within one owner's index, so it never touches
// another's. Every key expires with the result's TTL.
type redisBackend struct {
	st    *store.Redis
	quota int64
	ttl   time.Duration
}

func newRedisBackend(st *store.Redis, quota int64, ttl time.Duration) *redisBackend {
	return &redisBackend{st: st, quota: quota, ttl: ttl}
}

// prefix is the start of every key of owner's results, ending in ':'.
func (b *redisBackend) prefix(owner string) string {
	sum := sha256.Sum256([]byte("results\x00" + owner))
	return store.Key("results", "{"+hex.EncodeToString(sum[:16])+"}") + ":"
}

// keepScript stores one result and evicts its owner's oldest ones first
// when the owner's results would pass the quota, atomically, so that
// replicas keeping at once never overshoot it.
//
// KEYS: index, sizes, meta, data. ARGV: id, size, quota, ttl (ms), key
// prefix, data, then the meta fields as name/value pairs. It returns the
// expiry in ms, or 0 when the result is larger than the quota.
var keepScript = redis.NewScript(`
local id, size, quota, ttl, prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if size > quota then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('HDEL', KEYS[2], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do total = total + tonumber(v) end
while total + size > quota do
  local oldest = redis.call('ZPOPMIN', KEYS[1])
  if #oldest == 0 then break end
  total = total - tonumber(redis.call('HGET', KEYS[2], oldest[1]) or '0')
  redis.call('HDEL', KEYS[2], oldest[1])
  redis.call('DEL', prefix .. oldest[1] .. ':meta', prefix .. oldest[1] .. ':data')
end
-- Expiry in microseconds, the index's order: strictly after the last
-- kept, so that the oldest is always the first out.
local exp = now + ttl * 1000
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last == 2 and tonumber(last[2]) >= exp then exp = tonumber(last[2]) + 1 end
redis.call('SET', KEYS[4], ARGV[6], 'PX', ttl)
local meta = {'exp', math.floor(exp / 1000)}
for i = 7, #ARGV do meta[#meta + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(meta))
redis.call('PEXPIRE', KEYS[3], ttl)
-- Formatted by hand: Lua would write it in 14 digits, losing the order.
redis.call('ZADD', KEYS[1], string.format('%.0f', exp), id)
redis.call('HSET', KEYS[2], id, size)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return math.floor(exp / 1000)
`)

func (b *redisBackend) keep(ctx context.Context, r *Result) (bool, error) {
	if int64(r.size) > b.quota {
		return false, nil
	}
	p := b.prefix(r.owner)
	text := "0"
	if r.text {
		text = "1"
	}
	exp, err := keepScript.Run(ctx, b.st.Client(),
		[]string{p + "index", p + "sizes", p + r.id + ":meta", p + r.id + ":data"},
		r.id, r.size, b.quota, b.ttl.Milliseconds(), p, r.data,
		"name", r.name, "mime", r.mime, "starts", joinInts(r.starts), "text", text, "size", r.size,
	).Int64()
	if err != nil {
		return false, b.st.Err("results.keep", err)
	}
	if exp == 0 {
		return false, nil
	}
	r.expires = time.UnixMilli(exp)
	return true, nil
}

// loadScript reads a result's meta, the length of its data and the bytes
// asked for (all of them, or page ARGV[1]) at once, so that bytes gone since
// the meta was written (evicted under maxmemory, expired between two reads)
// are seen as gone: GETRANGE of a missing key answers "", not nil.
//
// KEYS: meta, data. ARGV: the page (0: the whole). It returns {} when there
// is no meta, else {meta as name/value pairs, data length, bytes}, the bytes
// false when the page is past the last.
var loadScript = redis.NewScript(`
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then return {} end
local n, f, starts = tonumber(ARGV[1]), {}, {}
for i = 1, #meta, 2 do f[meta[i]] = meta[i + 1] end
for v in string.gmatch(f['starts'] or '', '[^,]+') do starts[#starts + 1] = tonumber(v) end
local size = redis.call('STRLEN', KEYS[2])
local data = false
if n == 0 then
  data = redis.call('GET', KEYS[2])
elseif n <= #starts then
  local first, last = starts[n], tonumber(f['size'] or '0')
  if n < #starts then last = starts[n + 1] end
  data = ''
  if last > first then data = redis.call('GETRANGE', KEYS[2], first, last - 1) end
end
return {meta, size, data}
`)

func (b *redisBackend) load(ctx context.Context, owner, id string, n int) (*Result, []byte, bool, error) {
	p := b.prefix(owner) + id
	out, err := loadScript.Run(ctx, b.st.Client(), []string{p + ":meta", p + ":data"}, n).Slice()
	if err != nil {
		return nil, nil, false, b.st.Err("results.get", err)
	}
	if len(out) != 3 {
		return nil, nil, false, nil
	}
	r, ok := resultOf(id, owner, pairs(out[0]))
	if !ok {
		return nil, nil, false, nil
	}
	if n > r.Pages() {
		return r, nil, false, nil
	}
	size, _ := out[1].(int64)
	data, isData := out[2].(string)
	if !isData || size != int64(r.size) {
		return nil, nil, false, nil // the bytes are gone, or were never whole
	}
	page := []byte(data)
	if n == 0 {
		r.data = page
	}
	return r, page, true, nil
}

// pairs is a Lua list of name/value pairs (HGETALL's answer) as a map.
func pairs(v any) map[string]string {
	list, _ := v.([]any)
	m := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		k, _ := list[i].(string)
		val, _ := list[i+1].(string)
		m[k] = val
	}
	return m
}

// resultOf is the result that meta describes; false when meta is empty
// (no such key) or not one this program wrote.
func resultOf(id, owner string, meta map[string]string) (*Result, bool) {
	size, err1 := strconv.Atoi(meta["size"])
	exp, err2 := strconv.ParseInt(meta["exp"], 10, 64)
	starts, ok := splitInts(meta["starts"])
	if err1 != nil || err2 != nil || !ok || len(starts) == 0 {
		return nil, false
	}
	return &Result{
		id: id, owner: owner, name: meta["name"], mime: meta["mime"], size: size,
		starts: starts, text: meta["text"] == "1", expires: time.UnixMilli(exp),
	}, true
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func splitInts(s string) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ",")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		v[i] = n
	}
	return v, true
}
