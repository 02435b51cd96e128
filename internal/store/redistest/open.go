package redistest

import (
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
)

// Open opens a pool to the server for t, closed when t ends. Its commands
// are bounded by a second, so that a test of the server stopped fails fast.
func (s *Server) Open(t testing.TB) *store.Redis {
	t.Helper()
	st, err := store.Open(store.Config{URL: s.URL(), OpTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
