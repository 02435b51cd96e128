package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// scriptedComposio is a fake Composio whose proxy_execute answer is chosen by
// the endpoint of the call, so that one server plays every hostile upstream
// a test needs.
func scriptedComposio(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, endpoint string)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var call struct {
			Endpoint string `json:"endpoint"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &call)
		answer(w, r, call.Endpoint)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startScripted runs the binary on stdio against baseURL, initialized.
func startScripted(t *testing.T, baseURL string, env []string, args ...string) *stdioProc {
	t.Helper()
	p := startStdio(t, append(serverEnv(baseURL), env...), args...)
	p.send(initLine, initdLine)
	p.wait(10*time.Second, "1")
	return p
}

// callScripted makes one GET proxy_execute call of endpoint and returns its result.
func callScripted(t *testing.T, p *stdioProc, id int, endpoint string) rawToolResult {
	t.Helper()
	p.send(toolCallLine(id, fmt.Sprintf(`{"toolkit_slug":"github","endpoint":%q,"method":"GET"}`, endpoint)))
	p.wait(20*time.Second, fmt.Sprint(id))
	tr, err := p.responses(fmt.Sprint(id))[0].tool()
	if err != nil {
		t.Fatalf("call %s: %v", endpoint, err)
	}
	return tr
}

// TestSecurityRedirectNotFollowed: a 301/302/307/308 from Composio's address
// is never followed: the host it names gets no request (so never the key nor
// the body), the result is an error naming the status and that host, and the
// audit log does not call it ok.
func TestSecurityRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var stolen []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stolen = append(stolen, r.Header.Get("X-Api-Key"))
		mu.Unlock()
		w.Write([]byte(`{"data":{"foreign":true},"status":200,"headers":{}}`))
	}))
	defer foreign.Close()
	fu, _ := url.Parse(foreign.URL)
	fake := scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		var status int
		fmt.Sscanf(strings.TrimPrefix(endpoint, "/"), "%d", &status)
		http.Redirect(w, r, foreign.URL+"/api/v3/steal", status)
	})
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	p := startScripted(t, fake.URL, nil, "--audit-log", auditPath, "--max-retries", "0")
	for i, status := range []int{301, 302, 307, 308} {
		tr := callScripted(t, p, 10+i, fmt.Sprintf("/%d", status))
		text := tr.text()
		if !tr.IsError || !strings.Contains(text, fmt.Sprint(status)) || !strings.Contains(text, fu.Host) || strings.Contains(text, "foreign") {
			t.Errorf("redirect %d: want an error naming the status and %s, got isError=%v %q", status, fu.Host, tr.IsError, text)
		}
		if strings.Contains(text, secretKey) {
			t.Errorf("redirect %d: the key is in the result", status)
		}
	}
	p.finish()
	mu.Lock()
	if len(stolen) > 0 {
		t.Errorf("the redirect target got %d requests (x-api-key %q)", len(stolen), stolen)
	}
	mu.Unlock()
	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var rec struct{ Outcome string }
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Outcome == "ok" || rec.Outcome == "" {
			t.Errorf("audit record of a refused redirect: %s", sc.Text())
		}
	}
	if lines != 4 {
		t.Errorf("%d audit records, want 4", lines)
	}
}

// TestSecurityInlineDownloadCarriesNoCredential: the download of a binary
// response shown inline (a different host by design) carries no Composio
// credential, on its first request nor after a redirect.
func TestSecurityInlineDownloadCarriesNoCredential(t *testing.T) {
	t.Parallel()
	png := mustPNG(t)
	var mu sync.Mutex
	var seen []http.Header
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if r.URL.Path == "/signed/img.png" {
			http.Redirect(w, r, "/final/img.png", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	defer cdn.Close()
	fake := scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		fmt.Fprintf(w, `{"data":{},"status":200,"headers":{},"binary_data":{"url":%q,"content_type":"image/png","size":%d}}`, cdn.URL+"/signed/img.png", len(png))
	})
	p := startScripted(t, fake.URL, []string{"COMPOSIO_USER_API_KEY=uak_e2e_SECRET_USER_KEY_99"})
	tr := callScripted(t, p, 10, "/avatar")
	p.finish()
	if tr.IsError {
		t.Fatalf("inline download: %s", tr.text())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("the download host got %d requests, want 2 (the link and its redirect)", len(seen))
	}
	for i, h := range seen {
		for k, vs := range h {
			for _, v := range vs {
				if strings.Contains(v, secretKey) || strings.Contains(v, "uak_e2e_SECRET") || strings.EqualFold(k, "X-Api-Key") || strings.EqualFold(k, "X-User-Api-Key") {
					t.Errorf("download request %d carried %s: %q", i, k, v)
				}
			}
		}
	}
}

func mustPNG(t *testing.T) []byte {
	t.Helper()
	// The smallest valid PNG: 1×1, one grey pixel.
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc\xfa\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
}

const echoToken = "mcp_tok_e2e_SECRET_TOKEN_4242"

// echoingComposio echoes the request's credential back in the way endpoint
// names: in an error envelope, an HTML error page, the data, or a header.
func echoingComposio(t *testing.T) *httptest.Server {
	return scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		key := r.Header.Get("X-Api-Key") + r.Header.Get("X-User-Api-Key")
		switch endpoint {
		case "/envelope":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"invalid key %s","slug":"ToolRouterV2_BadRequest","suggested_fix":"do not use %s","errors":["key %s"]}}`, key, key, key)
		case "/html":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body>upstream saw x-api-key: %s and token %s</body></html>", key, echoToken)
		case "/data":
			fmt.Fprintf(w, `{"data":{"echo":%q,"token":%q,"quoted":"<%s>"},"status":200,"headers":{"x-echo":%q}}`, key, echoToken, key, key)
		case "/upstream-error":
			fmt.Fprintf(w, `{"data":"your key %s is wrong","status":401,"headers":{}}`, key)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

var echoEndpoints = []string{"/envelope", "/html", "/data", "/upstream-error"}

// TestSecurityEchoedSecretsMasked: whatever the upstream echoes, no result
// carries the process's keys or token, in text or structuredContent.
func TestSecurityEchoedSecretsMasked(t *testing.T) {
	t.Parallel()
	fake := echoingComposio(t)
	p := startScripted(t, fake.URL, []string{"COMPOSIO_MCP_AUTH_TOKEN=" + echoToken}, "--max-retries", "0")
	for i, ep := range echoEndpoints {
		tr := callScripted(t, p, 10+i, ep)
		all := tr.text() + string(tr.StructuredContent)
		if strings.Contains(all, secretKey) || strings.Contains(all, echoToken) {
			t.Errorf("%s: a secret is in the result: %s", ep, all)
		}
		if !strings.Contains(all, "[REDACTED]") {
			t.Errorf("%s: no mask in the result: %s", ep, all)
		}
		if len(tr.StructuredContent) > 0 && !json.Valid(tr.StructuredContent) {
			t.Errorf("%s: structuredContent is not JSON after masking", ep)
		}
	}
	p.finish()
}

// TestSecurityEchoedCallerKeyMaskedMultiTenant: a multi-tenant caller's own
// key, echoed back, is masked in its results.
func TestSecurityEchoedCallerKeyMaskedMultiTenant(t *testing.T) {
	t.Parallel()
	fake := echoingComposio(t)
	const callerKey = "ak_tenant_SECRET_CALLER_KEY_777"
	addr, _ := startHTTP(t, []string{"COMPOSIO_BASE_URL=" + fake.URL}, "--transport", "http", "--multi-tenant", "--max-retries", "0")
	ctx := testContext(t, 30*time.Second)
	c := connectHTTP(t, ctx, "http", addr, map[string]string{"X-Composio-Api-Key": callerKey, "X-Composio-Session-Id": composiotest.SessionID})
	for _, ep := range echoEndpoints {
		res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": ep, "method": "GET"})
		if err != nil {
			t.Fatalf("%s: %v", ep, err)
		}
		sc, _ := json.Marshal(res.StructuredContent)
		all := resultText(res) + string(sc)
		if strings.Contains(all, callerKey) {
			t.Errorf("%s: the caller's key is in the result: %s", ep, all)
		}
		if !strings.Contains(all, "[REDACTED]") {
			t.Errorf("%s: no mask in the result: %s", ep, all)
		}
	}
}

// TestSecurityRetryAfterShownCapped: an absurd Retry-After is not repeated
// to the model as a wait of centuries.
func TestSecurityRetryAfterShownCapped(t *testing.T) {
	t.Parallel()
	fake := scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		w.Header().Set("Retry-After", "99999999999")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"slow down"}`))
	})
	p := startScripted(t, fake.URL, nil)
	tr := callScripted(t, p, 10, "/x")
	p.finish()
	text := tr.text()
	if !tr.IsError || strings.Contains(text, "2562047h") || !strings.Contains(text, "more than an hour") {
		t.Errorf("429 with Retry-After 99999999999: %q", text)
	}
}

// TestSecurityUpstreamCallCap: past --max-upstream-calls a call waits for a
// slot until its timeout and is then told the server is busy, nothing sent;
// the call holding the slot is unaffected.
func TestSecurityUpstreamCallCap(t *testing.T) {
	t.Parallel()
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	var once sync.Once
	var mu sync.Mutex
	calls := 0
	fake := scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		mu.Lock()
		calls++
		mu.Unlock()
		if endpoint == "/slow" {
			entered <- struct{}{}
			<-release
		}
		w.Write([]byte(`{"data":{"ok":true},"status":200,"headers":{}}`))
	})
	defer once.Do(func() { close(release) })
	p := startScripted(t, fake.URL, nil, "--max-upstream-calls", "1", "--max-upstream-calls-per-caller", "1", "--timeout", "2s", "--max-retries", "0")
	p.send(toolCallLine(10, `{"toolkit_slug":"github","endpoint":"/slow","method":"GET"}`))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow call never reached the upstream")
	}
	tr := callScripted(t, p, 11, "/fast")
	if !tr.IsError || !strings.Contains(tr.text(), "busy") || !strings.Contains(tr.text(), "not sent") {
		t.Errorf("call past the cap: want a busy error, got isError=%v %q", tr.IsError, tr.text())
	}
	mu.Lock()
	if calls != 1 {
		t.Errorf("the upstream got %d calls, want 1: the call past the cap was sent", calls)
	}
	mu.Unlock()
	once.Do(func() { close(release) })
	p.wait(10*time.Second, "10")
	tr = callScripted(t, p, 12, "/fast")
	if tr.IsError {
		t.Errorf("call after the slot was freed: %s", tr.text())
	}
	p.finish()
}

// TestSecurityLargeResponseMemory measures the server's peak RSS for one
// response of about 30 MiB, and holds it under a bound that the old response
// path (several whole copies of the body) exceeded.
func TestSecurityLargeResponseMemory(t *testing.T) {
	t.Parallel()
	const size = 30 << 20
	item := strings.Repeat("x", 1000)
	var body strings.Builder
	body.WriteString(`{"data":{"items":[`)
	for i := 0; body.Len() < size; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":%d,"v":%q}`, i, item)
	}
	body.WriteString(`]},"status":200,"headers":{"content-type":"application/json"}}`)
	payload := body.String()
	fake := scriptedComposio(t, func(w http.ResponseWriter, r *http.Request, endpoint string) {
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		io.WriteString(w, payload)
	})
	p := startScripted(t, fake.URL, nil)
	before, err := readProcMem(p.cmd.Process.Pid)
	if err != nil {
		t.Skip(err)
	}
	tr := callScripted(t, p, 10, "/big")
	if tr.IsError {
		t.Fatalf("large response: %.300s", tr.text())
	}
	st, err := readProcMem(p.cmd.Process.Pid)
	p.finish()
	if err != nil {
		t.Skip(err)
	}
	t.Logf("one %s response: server VmHWM %s (%s before the call)", fmtMiB(int64(len(payload))), fmtMiB(st.hwm), fmtMiB(before.hwm))
	if limit := int64(4 * len(payload)); st.hwm > limit {
		t.Errorf("peak RSS %s for a %s response, want under %s", fmtMiB(st.hwm), fmtMiB(int64(len(payload))), fmtMiB(limit))
	}
}
