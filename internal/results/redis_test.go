package results

import (
	"context"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// A result whose bytes are gone from the store (evicted under maxmemory,
// which volatile-ttl allows, or expired between two reads) is not found:
// neither a page read nor resources/read serves an empty page for it.
func TestRedisPageOfMissingDataIsNotFound(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := srv.Open(t)
	s := New(Config{Redis: st, TTL: time.Minute})
	ctx := context.Background()
	r, err := s.Keep(ctx, "r", "text/plain", []byte("aaaabbbb"), []int{0, 4})
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	b := s.b.(*redisBackend)
	if _, data, ok, err := b.load(ctx, processOwner, r.ID(), 2); !ok || string(data) != "bbbb" || err != nil {
		t.Fatalf("page 2 before: %q %v %v", data, ok, err)
	}
	if err := st.Client().Del(ctx, b.prefix(processOwner)+r.ID()+":data").Err(); err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		if got, data, ok, err := b.load(ctx, processOwner, r.ID(), n); ok || err != nil {
			t.Errorf("page %d of a result whose bytes are gone served: %q (result %v, err %v)", n, data, got != nil, err)
		}
	}
	if res, err := s.read(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: r.PageURI(1)}}); err == nil {
		t.Errorf("resources/read of page 1 served %+v", res)
	}
}
