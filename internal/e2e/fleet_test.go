package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/roundrobin"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/store/redistest"
)

// The fleet tests: three replicas of the built binary on loopback sharing one
// real Redis (--store) and one confirm-state key, against one fake Composio,
// behind a round-robin reverse proxy with no affinity, so that consecutive
// requests land on consecutive replicas. Every request is a 2026-07-28
// tools/call or resources/read, which needs no MCP session; the proxy names
// the replica that answered in X-Replica, and each test logs a transcript.

// fleetStateKey is the confirm-state key every replica shares.
const fleetStateKey = "fleet-state-key-0123456789abcdef0123456789abcdef"

// fleet is three replicas, their Redis and their fake Composio.
type fleet struct {
	t        *testing.T
	redis    *redistest.Server
	fake     *composiotest.Server
	replicas []*proc
	addrs    []string
	lb       *roundrobin.Proxy
	url      string // the proxy's /mcp
	ids      atomic.Int64
}

// startFleet starts Redis, the fake Composio, three replicas with args on
// top of the store settings, and the proxy in front of them.
func startFleet(t *testing.T, args ...string) *fleet {
	t.Helper()
	f := &fleet{t: t, redis: redistest.Start(t), fake: backend(t)}
	env := []string{
		"COMPOSIO_API_KEY=" + secretKey,
		"COMPOSIO_USER_ID=" + composiotest.UserID,
		"COMPOSIO_BASE_URL=" + f.fake.URL,
		"COMPOSIO_MCP_STATE_KEY=" + fleetStateKey,
	}
	for range 3 {
		addr, p := startHTTP(t, env, append([]string{"--transport", "http", "--store", f.redis.URL()}, args...)...)
		f.addrs = append(f.addrs, addr)
		f.replicas = append(f.replicas, p)
	}
	f.lb = roundrobin.New(f.addrs, nil)
	srv := httptest.NewServer(f.lb)
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/mcp"
	return f
}

// toolResult is what the tests read of a tools/call answer.
type toolResult struct {
	replica    string
	status     int
	rpcErr     string            // a JSON-RPC error, or the HTTP failure
	IsError    bool              `json:"isError"`
	ResultType string            `json:"resultType"`
	State      string            `json:"requestState"`
	Inputs     map[string]any    `json:"inputRequests"`
	Content    []json.RawMessage `json:"content"`
	Contents   []struct {
		Text string `json:"text"`
	} `json:"contents"`
}

// text is the result's text blocks, joined.
func (r toolResult) text() string {
	var b strings.Builder
	for _, raw := range r.Content {
		var c struct{ Type, Text string }
		if json.Unmarshal(raw, &c) == nil && c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// ok reports a result that is neither an error nor a protocol failure.
func (r toolResult) ok() bool { return r.rpcErr == "" && !r.IsError }

// outcome is the result in a transcript line.
func (r toolResult) outcome() string {
	switch {
	case r.rpcErr != "":
		return "FAILED " + clipText(r.rpcErr, 120)
	case r.ResultType == "input_required":
		return "input_required"
	case r.IsError:
		return "isError: " + clipText(r.text(), 140)
	}
	return "ok"
}

func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// modernMeta is the per-request _meta of a 2026-07-28 client that can answer
// elicitations.
var modernMeta = map[string]any{
	"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
	"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
	"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "fleet-e2e", "version": "0"},
}

// call sends one 2026-07-28 request through the proxy; name goes in
// Mcp-Name (the tool, or the resource's URI).
func (f *fleet) call(method, name string, params map[string]any) toolResult {
	params["_meta"] = modernMeta
	id := f.ids.Add(1)
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	req, _ := http.NewRequest("POST", f.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	req.Header.Set("Mcp-Name", name)
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return toolResult{rpcErr: err.Error()}
	}
	defer resp.Body.Close()
	out := toolResult{replica: resp.Header.Get(roundrobin.ReplicaHeader), status: resp.StatusCode}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		out.rpcErr = err.Error()
		return out
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw = lastEvent(raw)
	}
	var msg struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	switch {
	case resp.StatusCode != 200:
		out.rpcErr = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, raw)
	case json.Unmarshal(raw, &msg) != nil:
		out.rpcErr = "undecodable: " + string(raw)
	case msg.Error != nil:
		out.rpcErr = "JSON-RPC error: " + msg.Error.Message
	default:
		_ = json.Unmarshal(msg.Result, &out)
	}
	return out
}

// lastEvent is the data of the last event of an event stream: the answer.
func lastEvent(stream []byte) []byte {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(stream))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok {
			last = append([]byte(nil), d...)
		}
	}
	return last
}

// tool calls a tool through the proxy.
func (f *fleet) tool(name string, args map[string]any) toolResult {
	return f.call("tools/call", name, map[string]any{"name": name, "arguments": args})
}

// read reads a resource through the proxy.
func (f *fleet) read(uri string) toolResult {
	return f.call("resources/read", uri, map[string]any{"uri": uri})
}

// logStep writes one transcript line: replica, call, outcome.
func logStep(t *testing.T, r toolResult, call string) {
	t.Helper()
	t.Logf("%-2s %-58s → %s", r.replica, call, r.outcome())
}

// readyz is replica i's /readyz status.
func (f *fleet) readyz(i int) int {
	resp, err := http.Get("http://" + f.addrs[i] + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

var resultURI = regexp.MustCompile(`composio-proxy://results/[0-9a-f]{32}`)

// cutCall makes a call whose answer (n bytes of payload) is cut and stored,
// and returns the stored result's id.
func (f *fleet) cutCall(t *testing.T, n int) (toolResult, string) {
	t.Helper()
	res := f.tool("proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": fmt.Sprintf("/bytes/%d", n), "method": "GET"})
	logStep(t, res, fmt.Sprintf("proxy_execute GET /bytes/%d", n))
	uri := resultURI.FindString(res.text())
	if !res.ok() || uri == "" {
		t.Fatalf("no stored result: %s", res.outcome())
	}
	return res, strings.TrimPrefix(uri, "composio-proxy://results/")
}

// TestFleetResultReadOnOtherReplicas: a result cut on one replica is read
// whole by query_result and resources/read on the two others, and an MCP
// session begun on one replica goes on on the next.
func TestFleetResultReadOnOtherReplicas(t *testing.T) {
	t.Parallel()
	f := startFleet(t, "--max-result-bytes", "4096")
	cut, id := f.cutCall(t, 60000)
	uri := "composio-proxy://results/" + id
	seen := map[string]bool{cut.replica: true}
	for range 2 {
		q := f.tool("query_result", map[string]any{"result": id, "jq": ".size"})
		logStep(t, q, `query_result {"jq":".size"}`)
		if !q.ok() || !strings.HasSuffix(q.text(), "\n60000") {
			t.Errorf("query_result on %s: %s", q.replica, q.outcome())
		}
		seen[q.replica] = true
	}
	if len(seen) != 3 {
		t.Errorf("the result was cut and read on %v: want the three replicas", seen)
	}
	readOn := map[string]bool{}
	for range 3 {
		r := f.read(uri)
		var whole struct {
			Status int `json:"status"`
			Data   struct {
				Size    int    `json:"size"`
				Payload string `json:"payload"`
			} `json:"data"`
		}
		if r.rpcErr != "" || len(r.Contents) != 1 || json.Unmarshal([]byte(r.Contents[0].Text), &whole) != nil ||
			whole.Status != 200 || whole.Data.Size != 60000 || len(whole.Data.Payload) < 59000 {
			t.Errorf("resources/read on %s: %s", r.replica, r.outcome())
			continue
		}
		t.Logf("%-2s %-58s → ok, %d bytes, the whole response", r.replica, "resources/read "+uri[:34]+"…", len(r.Contents[0].Text))
		readOn[r.replica] = true
	}
	if len(readOn) != 3 {
		t.Errorf("resources/read answered whole on %v: want A, B and C", readOn)
	}

	// A 2025-11-25 client holds an MCP session: with a store it must not be
	// tied to the replica that began it.
	ctx := testContext(t, 30*time.Second)
	c := httpSession(t, ctx, strings.TrimSuffix(strings.TrimPrefix(f.url, "http://"), "/mcp"), "2025-11-25", nil)
	for range 3 {
		res, err := callNamed(ctx, c, "query_result", map[string]any{"result": id, "jq": ".size"})
		switch {
		case err != nil:
			t.Errorf("2025-11-25 session, query_result: %v", err)
		case res.IsError || !strings.HasSuffix(resultText(res), "\n60000"):
			t.Errorf("2025-11-25 session, query_result: %.300s", resultText(res))
		default:
			t.Logf("%-2s %-58s → ok", "*", "2025-11-25 session: query_result")
		}
	}
}

// TestFleetRateLimitHeldAcrossReplicas: --rate-limit N is the fleet's, not
// each replica's: of 3N calls spread over three replicas, N go through.
func TestFleetRateLimitHeldAcrossReplicas(t *testing.T) {
	t.Parallel()
	const n = 6
	f := startFleet(t, "--rate-limit", fmt.Sprint(n))
	passed, refused := 0, 0
	per := map[string]int{}
	for i := range 3 * n {
		r := f.tool("proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
		logStep(t, r, fmt.Sprintf("#%02d proxy_execute GET /user", i+1))
		per[r.replica]++
		switch {
		case r.ok():
			passed++
		case r.IsError && strings.Contains(r.text(), fmt.Sprintf("Rate limit: this server allows %d tool calls per minute", n)):
			refused++
		default:
			t.Errorf("call %d on %s: %s", i+1, r.replica, r.outcome())
		}
	}
	t.Logf("%d passed, %d refused; calls per replica %v", passed, refused, per)
	if passed != n || refused != 2*n {
		t.Errorf("%d calls passed and %d were refused: want %d and %d", passed, refused, n, 2*n)
	}
	if sent := len(f.fake.ProxyRequests()); sent != n {
		t.Errorf("Composio got %d calls, want %d", sent, n)
	}
}

// TestFleetConfirmationAcrossReplicas: a confirmation asked on one replica
// is answered on the next, the write goes out once, and the same answer sent
// again does not write again.
func TestFleetConfirmationAcrossReplicas(t *testing.T) {
	t.Parallel()
	f := startFleet(t, "--confirm-writes")
	args := map[string]any{"toolkit_slug": "github", "endpoint": "/user/repos", "method": "POST", "body": map[string]any{"name": "fleet"}}
	asked := f.tool("proxy_execute", args)
	logStep(t, asked, "proxy_execute POST /user/repos")
	if asked.ResultType != "input_required" || asked.State == "" || asked.Inputs["confirm_write"] == nil {
		t.Fatalf("no confirmation asked: %s %+v", asked.outcome(), asked.Inputs)
	}
	answer := func() toolResult {
		return f.call("tools/call", "proxy_execute", map[string]any{
			"name": "proxy_execute", "arguments": args, "requestState": asked.State,
			"inputResponses": map[string]any{"confirm_write": map[string]any{"action": "accept", "content": map[string]any{}}},
		})
	}
	writes := func() int {
		n := 0
		for _, r := range f.fake.ProxyRequests() {
			if r.Method == "POST" && r.Endpoint == "/user/repos" {
				n++
			}
		}
		return n
	}
	done := answer()
	logStep(t, done, "proxy_execute POST /user/repos + accept")
	if !done.ok() || !strings.Contains(done.text(), "HTTP 201") || done.replica == asked.replica {
		t.Errorf("the answer on %s (asked on %s): %s", done.replica, asked.replica, done.outcome())
	}
	t.Logf("   Composio received %d write(s)", writes())
	again := answer()
	logStep(t, again, "the same answer again")
	if again.rpcErr != "" {
		t.Errorf("the repeated answer: %s", again.outcome())
	}
	t.Logf("   Composio received %d write(s)", writes())
	if n := writes(); n != 1 {
		t.Errorf("Composio received the write %d times: want once", n)
	}
}

// TestFleetReplicaKilledLosesNothingStored: a replica killed while calls run
// takes none of the stored results with it: each result kept before the kill
// is read on the two others.
func TestFleetReplicaKilledLosesNothingStored(t *testing.T) {
	t.Parallel()
	f := startFleet(t, "--max-result-bytes", "4096")
	type kept struct{ id, replica string }
	var (
		mu     sync.Mutex
		stored []kept
		failed int
		wg     sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				r := f.tool("proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": fmt.Sprintf("/bytes/%d", 20000+1000*w+i), "method": "GET"})
				uri := resultURI.FindString(r.text())
				mu.Lock()
				if r.ok() && uri != "" {
					stored = append(stored, kept{strings.TrimPrefix(uri, "composio-proxy://results/"), r.replica})
					if len(stored) == 12 {
						once.Do(func() { close(enough) })
					}
				} else {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	<-enough
	if err := f.replicas[1].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-f.replicas[1].exited
	f.lb.Down(1)
	mu.Lock()
	t.Logf("B  SIGKILL with calls running; %d results kept so far", len(stored))
	mu.Unlock()
	wg.Wait()
	byB := 0
	for _, k := range stored {
		if k.replica == "B" {
			byB++
		}
	}
	t.Logf("   48 calls: %d kept a result (%d of them on B), %d failed (in flight on B when it died)", len(stored), byB, failed)
	if byB == 0 {
		t.Fatal("B kept no result before it died: the test proves nothing")
	}
	lost := 0
	on := map[string]int{}
	for _, k := range stored {
		q := f.tool("query_result", map[string]any{"result": k.id, "jq": ".size"})
		on[q.replica]++
		if !q.ok() || !strings.Contains(q.text(), "\n2") {
			lost++
			t.Errorf("result %s kept on %s, read on %s: %s", k.id, k.replica, q.replica, q.outcome())
		}
	}
	t.Logf("   query_result of the %d kept results: %d lost; answered by %v", len(stored), lost, on)
	if on["B"] != 0 {
		t.Errorf("the dead replica answered %d reads", on["B"])
	}
}

// TestFleetRedisRestarted: while Redis is down, calls that need the store
// fail with an error that says so (a cut answer comes back saying its whole
// could not be kept), calls that do not still work, and /readyz says 503;
// once Redis is back the same replicas serve again by themselves.
func TestFleetRedisRestarted(t *testing.T) {
	t.Parallel()
	f := startFleet(t, "--max-result-bytes", "4096", "--timeout", "10s")
	_, before := f.cutCall(t, 30000)
	for i := range f.addrs {
		code := f.readyz(i)
		t.Logf("%c  GET /readyz (Redis up) → %d", 'A'+i, code)
		if code != 200 {
			t.Errorf("/readyz on %c before: %d", 'A'+i, code)
		}
	}

	f.redis.Stop()
	t.Log("   Redis stopped")
	for i := range f.addrs {
		code := f.readyz(i)
		t.Logf("%c  GET /readyz (Redis down) → %d", 'A'+i, code)
		if code != http.StatusServiceUnavailable {
			t.Errorf("/readyz on %c with Redis down: %d, want 503", 'A'+i, code)
		}
	}
	needStore := func(r toolResult, what string) {
		t.Helper()
		logStep(t, r, what)
		if r.rpcErr != "" || !r.IsError || !strings.Contains(strings.ToLower(r.text()), "store") {
			t.Errorf("%s with Redis down, on %s: %s", what, r.replica, r.outcome())
		}
	}
	for range 3 {
		// The call was made (it may have been a write): its answer comes back
		// cut, saying that the whole could not be kept, and linking nothing.
		cut := f.tool("proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/bytes/30000", "method": "GET"})
		kept := "not kept"
		if strings.Contains(cut.text(), "the results store is unavailable") {
			kept += ": the results store is unavailable"
		}
		t.Logf("%-2s %-58s → %s, cut, %s", cut.replica, "proxy_execute GET /bytes/30000 (to be kept)", cut.outcome(), kept)
		if !cut.ok() || resultURI.MatchString(cut.text()) || !strings.Contains(cut.text(), "the results store is unavailable") {
			t.Errorf("a cut call with Redis down, on %s: %s\n%.600s", cut.replica, cut.outcome(), cut.text())
		}
		needStore(f.tool("query_result", map[string]any{"result": before, "jq": ".size"}), "query_result of the result kept before")
		small := f.tool("proxy_execute", map[string]any{"toolkit_slug": "github", "endpoint": "/user", "method": "GET"})
		logStep(t, small, "proxy_execute GET /user (needs no store)")
		if !small.ok() {
			t.Errorf("a call that needs no store, with Redis down: %s", small.outcome())
		}
	}

	if err := f.redis.Start(); err != nil {
		t.Fatal(err)
	}
	t.Log("   Redis started again (empty: no persistence)")
	deadline := time.Now().Add(10 * time.Second)
	for i := range f.addrs {
		for f.readyz(i) != 200 {
			if time.Now().After(deadline) {
				t.Fatalf("/readyz on %c: %d 10 s after Redis came back", 'A'+i, f.readyz(i))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Log("   /readyz: 200 on A, B, C again, no replica restarted")
	for range 3 {
		_, id := f.cutCall(t, 30000)
		q := f.tool("query_result", map[string]any{"result": id, "jq": ".size"})
		logStep(t, q, "query_result of the new result")
		if !q.ok() || !strings.HasSuffix(q.text(), "\n30000") {
			t.Errorf("after Redis came back: %s", q.outcome())
		}
	}
}
