package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/ratelimit"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/replays"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/sessioncache"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/tenant"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

// minStateKey is the shortest COMPOSIO_MCP_STATE_KEY taken: 32 characters,
// as `openssl rand -hex 16` prints, or more.
const minStateKey = 32

// checkStore checks --store and the state key.
func (c *Config) checkStore() error {
	if c.StateKey != "" && len(c.StateKey) < minStateKey {
		return fmt.Errorf("COMPOSIO_MCP_STATE_KEY is %d characters: want at least %d (openssl rand -hex 32 prints one); every replica must have the same", len(c.StateKey), minStateKey)
	}
	if c.StoreURL == "" {
		if c.StorePassword != "" {
			return errors.New("COMPOSIO_MCP_STORE_PASSWORD is set without --store: give the store's URL too, or unset it")
		}
		return nil
	}
	if _, err := store.ParseURL(c.StoreURL); err != nil {
		return fmt.Errorf("--store: %w", err)
	}
	if c.storeFromArgv && store.HasPassword(c.StoreURL) {
		return errors.New("--store: the URL holds a password, and the command line is visible to every user of the machine: put the password in COMPOSIO_MCP_STORE_PASSWORD (or the whole URL in COMPOSIO_MCP_STORE)")
	}
	return nil
}

// OpenStore opens the shared store --store names, for the settings derived
// after it (ToolsConfig, the rate limiter, the sessions) to use; without
// --store it does nothing, and they keep their state in memory. It does not
// wait for the store: one that is down at start is reported by readiness.
// The returned function closes it.
func (c *Config) OpenStore(logger *slog.Logger) (func(), error) {
	cfg, ok := c.StoreConfig(logger)
	if !ok {
		return func() {}, nil
	}
	st, err := store.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	c.store = st
	logger.Info("keeping shared state in the store", "addr", st.Addr())
	if w := c.storeWarning(); w != "" {
		logger.Warn(w)
	}
	return func() { _ = st.Close() }, nil
}

// storeWarning is what OpenStore warns of in settings that start but do
// not work as a fleet would expect; "" when there is nothing.
func (c *Config) storeWarning() string {
	if c.ConfirmWrites && c.StateKey == "" {
		return "--confirm-writes with --store and no COMPOSIO_MCP_STATE_KEY: each replica signs confirmations with a random key of its own, so a confirmation started on one is refused on another; give every replica the same COMPOSIO_MCP_STATE_KEY"
	}
	return ""
}

// Store is the store OpenStore opened; nil without --store.
func (c *Config) Store() *store.Redis { return c.store }

// StoreConfig is the shared store's settings; ok is false without --store.
// Each command is bounded by a quarter of --timeout (at most the store's
// default bound): a call runs several store commands (the rate gate, the
// session, its result), and together they must leave it time for its
// upstream request and its answer.
func (c *Config) StoreConfig(logger *slog.Logger) (cfg store.Config, ok bool) {
	if c.StoreURL == "" {
		return store.Config{}, false
	}
	cfg = store.Config{URL: c.StoreURL, Password: c.StorePassword, Logger: logger,
		OpTimeout: min(store.DefaultOpTimeout, c.Timeout/4)}
	if m := c.Metrics(); m != nil {
		cfg.OnError = m.StoreError
	}
	return cfg, true
}

// ConfirmKey is the key that signs confirmation state: the state key when
// one is set, so that every replica of a fleet accepts the others' state;
// nil otherwise, which gives each process a random key of its own.
func (c *Config) ConfirmKey() []byte {
	if c.StateKey == "" {
		return nil
	}
	return []byte(c.StateKey)
}

// ready is the readiness check of the HTTP transports: the store answers;
// nil without a store, which is always ready.
func (c *Config) ready() func(context.Context) error {
	st := c.Store()
	if st == nil {
		return nil
	}
	return st.Ping
}

// checkResultQuota checks --result-quota-per-caller: positive, and in
// memory at most --result-store-bytes (the default is lowered to it).
func (c *Config) checkResultQuota() error {
	if c.ResultQuotaPerCaller <= 0 {
		return fmt.Errorf("--result-quota-per-caller %d: want a positive number of bytes", c.ResultQuotaPerCaller)
	}
	if c.StoreURL == "" && c.ResultQuotaPerCaller > c.ResultStoreBytes && c.ResultQuotaPerCaller != results.DefaultQuotaPerCaller {
		return fmt.Errorf("--result-quota-per-caller %d: want at most --result-store-bytes (%d), which holds every caller's results together", c.ResultQuotaPerCaller, c.ResultStoreBytes)
	}
	return nil
}

// sharedCaller is the server's own credential as a caller (tenant.Credential)
// when state is shared by a fleet, "" otherwise: with a store, the rate limit
// and the session cache are keyed by it, since an MCP session lives on one
// replica.
func (c *Config) sharedCaller() string {
	if c.store == nil {
		return ""
	}
	return tenant.Credential(c.APIKey, c.UserAPIKey)
}

// sharedLimiter is the rate limiter the fleet shares in the store; nil
// without one (or without a limit), which keeps it in memory.
func (c *Config) sharedLimiter() server.Limiter {
	if c.store == nil || c.RateLimitPerMinute() <= 0 {
		return nil
	}
	return ratelimit.New(c.store, c.RateLimitPerMinute())
}

// sharedSessions is the session cache the fleet shares in the store; nil
// without one.
func (c *Config) sharedSessions() session.Shared {
	if c.store == nil {
		return nil
	}
	return sessioncache.New(c.store)
}

// sharedReplays is where the fleet records its confirmed calls, so that one
// repeated on any replica is not sent twice; nil without a store, which
// keeps them in memory.
func (c *Config) sharedReplays() tools.Replays {
	if c.store == nil {
		return nil
	}
	return replays.New(c.store)
}
