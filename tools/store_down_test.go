package tools

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// With the results store down, a large response still comes back cut
// (the upstream call was made, perhaps a write), saying why the whole
// could not be kept; query_result says the store is unavailable; and once
// the store is back, both work again.
func TestResultsStoreDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := store.Open(store.Config{URL: srv.URL(), OpTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, call := jqSetWith(t, 4096, results.Config{Redis: st})
	alice := http.Header{"X-Caller": {"alice"}}
	const large = `{"toolkit_slug":"github","endpoint":"/bytes/60000","method":"GET"}`
	const narrowed = `{"toolkit_slug":"github","endpoint":"/bytes/60000","method":"GET","jq":".size"}`

	srv.Stop()
	res := call[ProxyExecuteName](alice, large)
	if txt := textOf(res); res.IsError || !strings.Contains(txt, "could not be kept for reading later: the results store is unavailable") || !strings.Contains(txt, "a jq filter") || len(res.Content) != 1 {
		t.Errorf("cut with the store down: %v %s", res.IsError, txt)
	}
	res = call[ProxyExecuteName](alice, narrowed)
	if txt := textOf(res); res.IsError || !strings.Contains(txt, "the results store is unavailable") || !strings.HasSuffix(txt, `"data":60000,"headers":{"content-type":"application/json","x-upstream":"composiotest"}}`) {
		t.Errorf("jq with the store down: %v %s", res.IsError, txt)
	}
	res = call[QueryResultName](alice, `{"result":"0123456789abcdef0123456789abcdef"}`)
	if txt := textOf(res); !res.IsError || !strings.Contains(txt, results.UnavailableText) || strings.Contains(txt, srv.Addr()) {
		t.Errorf("query_result with the store down: %v %s", res.IsError, txt)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	res = call[ProxyExecuteName](alice, narrowed)
	id := resultID.FindStringSubmatch(textOf(res))
	if id == nil {
		t.Fatalf("no result kept after the store came back: %s", textOf(res))
	}
	res = call[QueryResultName](alice, `{"result":"`+id[1]+`","jq":".size"}`)
	if txt := textOf(res); res.IsError || !strings.Contains(txt, "60000") {
		t.Errorf("query_result after the store came back: %s", txt)
	}
}
