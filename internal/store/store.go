// Package store connects the server to the Redis (or Valkey) that a fleet of
// replicas shares: stored results, rate limits, the tool-router session
// cache and confirmation replays live there, so that any replica can answer
// any request. Without a store each process keeps them in memory.
//
// A store that is down, slow or restarting never holds a call past its
// deadline: every command is bounded (Config.OpTimeout, and the caller's
// context), a failed command is an error that Is ErrUnavailable, the commands
// after it fail fast for a moment (BreakerCooldown) instead of each waiting
// its bound, and the client reconnects by itself when the server returns.
//
//	st, err := store.Open(store.Config{URL: "redis://valkey:6379/0", Password: os.Getenv("COMPOSIO_MCP_STORE_PASSWORD")})
//	if err := st.Ping(ctx); err != nil { … } // readiness, not a reason to stop
//	defer st.Close()
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultOpTimeout bounds one store command when Config.OpTimeout is 0:
// long enough for a loaded Redis across a data centre, short enough that a
// call waiting on a dead one still has time to say so.
const DefaultOpTimeout = 2 * time.Second

// KeyPrefix starts every key the server writes, so that it can share a
// Redis database with other programs.
const KeyPrefix = "cpm:"

// ErrUnavailable is what every store failure Is: the store did not answer,
// or answered with an error. The call that needed it may be retried.
var ErrUnavailable = errors.New("store unavailable")

// Config says where the store is.
type Config struct {
	// URL is redis://[user[:password]@]host:port/db, or rediss:// for TLS.
	URL string
	// Password, when set, replaces the URL's: it comes from the environment
	// (COMPOSIO_MCP_STORE_PASSWORD), so the URL need hold no secret.
	Password string
	// OpTimeout bounds each command; 0 means DefaultOpTimeout.
	OpTimeout time.Duration
	// Logger receives the client's own log lines; nil discards.
	Logger *slog.Logger
	// OnError, when set, is told of each failed command by its operation
	// name (a fixed set the callers choose): for metrics.
	OnError func(op string)
}

// Redis is a connection pool to the shared store. It is safe for concurrent
// use.
type Redis struct {
	c       *redis.Client
	onError func(op string)
	addr    string
}

// ParseURL checks a store URL and returns its parsed options. It refuses
// schemes other than redis and rediss, and says so without repeating the URL,
// which may hold a password.
func ParseURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, errors.New("want redis://host:port/db or rediss://host:port/db")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		// go-redis's errors can quote the URL; keep only what is wrong.
		return nil, errors.New("want redis://host:port/db or rediss://host:port/db (" + scrub(err.Error(), raw) + ")")
	}
	return opts, nil
}

// URLPassword is the password a store URL holds, "" for none: a secret, to
// keep off the command line and out of logs.
func URLPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// HasPassword reports whether a store URL holds a password.
func HasPassword(raw string) bool { return URLPassword(raw) != "" }

// scrub removes raw, and its password, from an error text.
func scrub(msg, raw string) string {
	msg = strings.ReplaceAll(msg, raw, "<url>")
	if p := URLPassword(raw); p != "" {
		msg = strings.ReplaceAll(msg, p, "<password>")
	}
	return msg
}

// Open returns a pool to the store cfg names. It does not connect: a store
// that is down at start is reported by Ping (readiness), and the server
// serves the calls that do not need it meanwhile.
func Open(cfg Config) (*Redis, error) {
	opts, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Password != "" {
		opts.Password = cfg.Password
	}
	timeout := cfg.OpTimeout
	if timeout <= 0 {
		timeout = DefaultOpTimeout
	}
	opts.DialTimeout = timeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	opts.PoolTimeout = timeout
	// A caller's deadline (its --timeout) ends a command too.
	opts.ContextTimeoutEnabled = true
	// One retry covers a pooled connection the server closed (a restart);
	// more would only hold the call longer against a store that is down.
	opts.MaxRetries = 1
	// One dial per attempt: go-redis's default of five, 100 ms apart, makes
	// each command against a store that is down cost most of a second, on
	// every call that works around it (the rate limit, the session cache).
	opts.DialerRetries = 1
	// No CLIENT SETINFO: Valkey and older Redis log it as an error.
	opts.DisableIdentity = true
	setLogger(cfg.Logger)
	c := redis.NewClient(opts)
	c.AddHook(newBreaker(BreakerCooldown, timeout))
	return &Redis{c: c, onError: cfg.OnError, addr: opts.Addr}, nil
}

// Client is the go-redis client, for the packages that keep their state in
// the store (rate limits through redis_rate, say). Their errors should go
// through Err.
func (r *Redis) Client() *redis.Client { return r.c }

// Addr is the store's host:port, for logs: it holds no password.
func (r *Redis) Addr() string { return r.addr }

// Key is the store key for parts, joined by ':' after KeyPrefix.
func Key(parts ...string) string { return KeyPrefix + strings.Join(parts, ":") }

// Ping checks that the store answers, within the command bound. It is sent
// even while other commands fail fast (see BreakerCooldown), and its answer
// lets them through again: readiness sees the store come back.
func (r *Redis) Ping(ctx context.Context) error {
	// A probe: it goes through an open breaker, so readiness sees the store
	// come back. The breaker bounds it like any command.
	return r.Err("ping", r.c.Ping(context.WithValue(ctx, probeKey{}, true)).Err())
}

// Close closes the pool.
func (r *Redis) Close() error { return r.c.Close() }

// Err turns the error of a command of operation op into one that Is
// ErrUnavailable, and counts it; nil and redis.Nil (no such key, which is
// an answer) pass unchanged.
func (r *Redis) Err(op string, err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	if r.onError != nil {
		r.onError(op)
	}
	return &unavailable{op: op, err: err}
}

// unavailable is a failed store command.
type unavailable struct {
	op  string
	err error
}

func (e *unavailable) Error() string {
	return fmt.Sprintf("store unavailable (%s): %v", e.op, e.err)
}

func (e *unavailable) Unwrap() []error { return []error{ErrUnavailable, e.err} }
