package tools

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Replays records the outcome of each confirmed call (a confirmation answered
// across round trips, see ConfirmWrites), so that a client repeating it (a
// retry after a lost answer, on this server or another replica) gets the
// recorded result instead of a second write. Keys are hashes of the request
// state.
type Replays interface {
	// Claim marks key as running, for ttl, unless it is marked already:
	// then first is false, and result is the recorded result (nil while the
	// first attempt still runs).
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, result []byte, err error)
	// Record keeps the first attempt's result under key, for ttl.
	Record(ctx context.Context, key string, result []byte, ttl time.Duration) error
	// Release drops the claim of a first attempt that sent nothing, so
	// that a repeat goes ahead.
	Release(ctx context.Context, key string) error
}

// ReplayMetaKey is the _meta field, true, of a result that is the recorded
// outcome of a confirmed call made before, not a new call.
const ReplayMetaKey = "composio-proxy-mcp/replay"

// replayTTL is how long a confirmed call's outcome is kept: as long as its
// request state may be presented again.
const replayTTL = confirmStateTTL + time.Minute

// replayWait is how long a repeat waits for the first attempt still running
// before it answers so.
const replayWait = 2 * time.Second

const replayPoll = 50 * time.Millisecond

// replayer runs a confirmed call at most once per request state.
type replayer struct {
	store  Replays
	caller callerOwner
	log    *slog.Logger
	wait   time.Duration // for a first attempt still running; 0 means replayWait
}

// key is the replay key of a confirmed call: its request state (which binds
// the exact call) and the caller (signed in, or a hash of a multi-tenant
// credential and user id; or a single-user server's own key and user), so
// that a state is never replayed to another caller. Hashed: the store holds
// neither.
func (r replayer) key(ctx context.Context, req mcp.CallToolRequest) string {
	h := sha256.New()
	h.Write([]byte(req.Params.RequestState))
	h.Write([]byte{0})
	h.Write([]byte(r.caller.of(ctx, req.Header)))
	return hex.EncodeToString(h.Sum(nil))
}

// once runs the confirmed call the first time its state is presented, and
// answers a repeat with the recorded result, sending nothing. run reports
// whether its request may have reached Composio: when it surely did not
// (no session, the server busy, Composio's rate limit), nothing is recorded
// and the claim is dropped, so that a repeat of the answer goes ahead
// instead of being told it was sent.
func (r replayer) once(ctx context.Context, req mcp.CallToolRequest, run func() (res *mcp.CallToolResult, maybeSent bool, err error)) (*mcp.CallToolResult, error) {
	key := r.key(ctx, req)
	first, rec, err := r.store.Claim(ctx, key, replayTTL)
	if err != nil {
		r.log.WarnContext(ctx, "proxy_execute: the confirmation store did not answer", "err", err)
		return errorResult("The confirmations store is unavailable, so this confirmed call was not sent: without it the server cannot make sure a retry does not send it twice. Retry in a moment with the same answer."), nil
	}
	if !first {
		return r.recorded(ctx, key, rec)
	}
	res, maybeSent, err := run()
	if err != nil {
		return nil, err // the wiring's fault; the claim stays, so nothing is sent twice
	}
	if !maybeSent {
		if rerr := r.store.Release(context.WithoutCancel(ctx), key); rerr != nil {
			r.log.WarnContext(ctx, "proxy_execute: the claim of a confirmed call that sent nothing was not dropped; a repeat of it will be told it is still running", "err", rerr)
		}
		return res, nil
	}
	b, merr := json.Marshal(res)
	if merr == nil {
		merr = r.store.Record(context.WithoutCancel(ctx), key, b, replayTTL)
	}
	if merr != nil {
		r.log.WarnContext(ctx, "proxy_execute: the confirmed call's result was not recorded; a repeat of it will be told it is still running", "err", merr)
	}
	return res, nil
}

// recorded answers a repeat: the first attempt's result when there is one,
// after waiting up to replayWait for it.
func (r replayer) recorded(ctx context.Context, key string, rec []byte) (*mcp.CallToolResult, error) {
	wait := r.wait
	if wait == 0 {
		wait = replayWait
	}
	deadline := time.Now().Add(wait)
	for rec == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(replayPoll):
		}
		var err error
		if _, rec, err = r.store.Claim(ctx, key, replayTTL); err != nil {
			break
		}
	}
	if rec == nil {
		return errorResult("This confirmed call is still running (the person's confirmation was already used to send it once), so it was not sent again. Retry in a moment with the same answer to get its result."), nil
	}
	raw := json.RawMessage(rec)
	res, err := mcp.ParseCallToolResult(&raw)
	if err != nil {
		return errorResult("This confirmed call was already sent once, and its recorded result could not be read, so it was not sent again. Check with the person whether it took effect before asking again."), nil
	}
	res.Content = append([]mcp.Content{mcp.NewTextContent("Replay: this confirmed call was already sent; this is its recorded result, and nothing was sent again.")}, res.Content...)
	if res.Meta == nil {
		res.Meta = mcp.NewMetaFromMap(nil)
	}
	if res.Meta.AdditionalFields == nil {
		res.Meta.AdditionalFields = map[string]any{}
	}
	res.Meta.AdditionalFields[ReplayMetaKey] = true
	return res, nil
}

// maxReplays and maxReplayBytes bound the in-memory Replays.
const (
	maxReplays     = 1024
	maxReplayBytes = 32 << 20
)

// memoryReplays is the Replays of a server without a store: bounded, oldest
// dropped first.
type memoryReplays struct {
	now func() time.Time

	mu    sync.Mutex
	order *list.List // of *replayEntry, oldest first
	items map[string]*list.Element
	bytes int
}

type replayEntry struct {
	key     string
	result  []byte // nil while running
	expires time.Time
}

func newMemoryReplays(now func() time.Time) *memoryReplays {
	return &memoryReplays{now: now, order: list.New(), items: map[string]*list.Element{}}
}

// Claim implements Replays.
func (m *memoryReplays) Claim(_ context.Context, key string, ttl time.Duration) (bool, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.items[key]; ok {
		if en := e.Value.(*replayEntry); now.Before(en.expires) {
			return false, en.result, nil
		}
		m.removeLocked(e)
	}
	m.items[key] = m.order.PushBack(&replayEntry{key: key, expires: now.Add(ttl)})
	m.trimLocked()
	return true, nil, nil
}

// Record implements Replays.
func (m *memoryReplays) Record(_ context.Context, key string, result []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[key]
	if !ok {
		return nil // dropped meanwhile: nothing to replay
	}
	en := e.Value.(*replayEntry)
	m.bytes += len(result) - len(en.result)
	en.result, en.expires = result, m.now().Add(ttl)
	m.trimLocked()
	return nil
}

// Release implements Replays.
func (m *memoryReplays) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.items[key]; ok {
		m.removeLocked(e)
	}
	return nil
}

// sendWatch notes whether a call's requests may have reached Composio, for
// replayer.once: a call that surely sent nothing is not recorded.
type sendWatch struct{ maybeSent atomic.Bool }

type sendWatchKey struct{}

// withSendWatch returns ctx carrying a new sendWatch, which sender.run
// marks after each request that may have been made.
func withSendWatch(ctx context.Context) (context.Context, *sendWatch) {
	w := new(sendWatch)
	return context.WithValue(ctx, sendWatchKey{}, w), w
}

// noteSent marks ctx's sendWatch, if any, unless the request that ended
// with err surely sent nothing (client.NothingSent).
func noteSent(ctx context.Context, err error) {
	if w, ok := ctx.Value(sendWatchKey{}).(*sendWatch); ok && (err == nil || !client.NothingSent(err)) {
		w.maybeSent.Store(true)
	}
}

// trimLocked drops the oldest entries past the bounds.
func (m *memoryReplays) trimLocked() {
	for m.order.Len() > maxReplays || (m.bytes > maxReplayBytes && m.order.Len() > 1) {
		m.removeLocked(m.order.Front())
	}
}

func (m *memoryReplays) removeLocked(e *list.Element) {
	en := m.order.Remove(e).(*replayEntry)
	m.bytes -= len(en.result)
	delete(m.items, en.key)
}
