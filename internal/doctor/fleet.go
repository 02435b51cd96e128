package doctor

import (
	"context"
	"log/slog"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/config"
)

// doctorFleet checks what a server run for a team depends on besides
// Composio: the shared store answers, and the sign-in issuer can be
// discovered. The settings have been validated.
func doctorFleet(ctx context.Context, r *report, cfg *config.Config) {
	quiet := slog.New(slog.DiscardHandler)
	if cfg.StoreURL != "" {
		closeStore, err := cfg.OpenStore(quiet)
		if err != nil {
			r.fail("give --store as redis://host:port/db or rediss://host:port/db", "%v", err)
		} else {
			defer closeStore()
			st := cfg.Store()
			if err := st.Ping(ctx); err != nil {
				r.fail("start the Redis or Valkey at "+st.Addr()+", or point --store at one that runs; a password goes in COMPOSIO_MCP_STORE_PASSWORD",
					"the store at %s does not answer: %v", st.Addr(), err)
			} else {
				r.ok("the store at %s answers", st.Addr())
			}
		}
		if cfg.ConfirmWrites && cfg.StateKey == "" {
			r.warn("set COMPOSIO_MCP_STATE_KEY (openssl rand -hex 32) to the same value on every replica",
				"--store with --confirm-writes and no COMPOSIO_MCP_STATE_KEY: a confirmation asked by one replica is asked again by another")
		}
	}
	if cfg.SignIn() {
		if _, err := cfg.HTTPOptions(ctx, quiet); err != nil {
			r.fail("check --oauth-issuer: its /.well-known/openid-configuration and jwks_uri must answer from this machine", "%v", err)
		} else {
			r.ok("--oauth-issuer: discovered, and its signing keys fetched")
		}
	}
}
