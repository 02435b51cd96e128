package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Black-box tests of the HTTP transports' limits: slow bodies, connection,
// request, session and stream caps, session ids on every method.

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

// mcpRequest sends one request to /mcp and returns the status, the headers
// and the body (read to the end, unless the response is an event stream).
func mcpRequest(t *testing.T, c *http.Client, addr, method, sessionID string, header map[string]string, body string) (int, http.Header) {
	t.Helper()
	h := map[string]string{}
	if sessionID != "" {
		h["Mcp-Session-Id"] = sessionID
	}
	maps.Copy(h, header)
	resp, _ := exchange(t, c, method, "http://"+addr+"/mcp", h, body)
	return resp.StatusCode, resp.Header
}

// initSession opens a streamable HTTP session and returns its id.
func initSession(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	code, h := mcpRequest(t, c, addr, "POST", "", nil, initBody)
	if code != 200 || h.Get("Mcp-Session-Id") == "" {
		t.Fatalf("initialize: status %d, session %q", code, h.Get("Mcp-Session-Id"))
	}
	return h.Get("Mcp-Session-Id")
}

// TestHTTPSlowBodyIsCut trickles request bodies a byte at a time: each
// connection is closed once --read-timeout has passed, on both transports,
// those refused past --max-inflight included.
func TestHTTPSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		addr := sandboxHTTP(t, "--transport", tr, "--read-timeout", "1s", "--max-inflight", "8")
		path := "/mcp"
		if tr == "sse" {
			path = "/message?sessionId=x"
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err.Error()
					return
				}
				defer conn.Close()
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path, addr)
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(200 * time.Millisecond):
							if _, err := conn.Write([]byte(" ")); err != nil {
								return
							}
						}
					}
				}()
				conn.SetReadDeadline(time.Now().Add(8 * time.Second))
				// EOF or a reset both mean the server closed it.
				_, err = io.Copy(io.Discard, conn)
				if isNetTimeout(err) {
					errs <- "connection still open after 8 s: " + err.Error()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
			break
		}
	})
}

// TestHTTPRefusedBeforeBody sends only the headers of a request with a bad
// bearer token or a foreign Origin: the answer comes without the body being
// read, and the connection is closed.
func TestHTTPRefusedBeforeBody(t *testing.T) {
	t.Parallel()
	env := append(cleanEnv(), "COMPOSIO_MCP_AUTH_TOKEN=tok_0123456789abcdef")
	addr, _ := startHTTP(t, env, "--sandbox", "--transport", "http")
	for _, hdr := range []string{"Authorization: Bearer wrong", "Authorization: Bearer tok_0123456789abcdef\r\nOrigin: https://evil.example"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", addr, hdr)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer before the body: %v", hdr, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 && resp.StatusCode != 403 {
			t.Errorf("%s: status %d", hdr, resp.StatusCode)
		}
		if _, err := io.Copy(io.Discard, conn); isNetTimeout(err) {
			t.Errorf("%s: connection not closed after the refusal: %v", hdr, err)
		}
		conn.Close()
	}
}

// TestHTTPConnectionCap holds --max-connections connections open: the next
// one is not served until one of them closes.
func TestHTTPConnectionCap(t *testing.T) {
	t.Parallel()
	addr := sandboxHTTP(t, "--transport", "http", "--max-connections", "3")
	// startHTTP's health check may still hold a keep-alive connection.
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// Make sure the server has accepted the three.
	for _, c := range held {
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	short := &http.Client{Timeout: 700 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := short.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a fourth connection was served past --max-connections 3 (status %d)", resp.StatusCode)
	}
	held[0].Close()
	held = held[1:]
	long := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := long.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("no connection served after one closed: %v", err)
	}
	resp.Body.Close()
}

// TestHTTPInflightCap fills --max-inflight with slow calls: another request
// gets 503 with Retry-After, and is served once they are done. Over SSE the
// calls outlive their POSTs and still count.
func TestHTTPInflightCap(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		addr, _, fake := backedHTTP(t, tr, "--max-inflight", "2")
		ctx := testContext(t, 30*time.Second)
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			c := connectHTTP(t, ctx, tr, addr, nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/delay/2500", "method": "GET"})
			}()
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(fake.ProxyRequests()) < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		// Each transport's own endpoint: the cap sits behind the guard.
		path := "/mcp"
		if tr == "sse" {
			path = "/message?sessionId=x"
		}
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(initBody))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if code, h := resp.StatusCode, resp.Header; code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("request past --max-inflight 2: status %d, Retry-After %q; want 503 with Retry-After", code, h.Get("Retry-After"))
		}
		wg.Wait()
		if code, _ := mcpRequest(t, http.DefaultClient, addr, "POST", "", nil, initBody); code == http.StatusServiceUnavailable {
			t.Errorf("request after the calls finished: status %d", code)
		}
	})
}

// TestHTTPSessionIDsOnEveryMethod: made-up, deleted and missing session ids
// on GET, POST and DELETE, and a stateless 2026-07-28 request.
func TestHTTPSessionIDsOnEveryMethod(t *testing.T) {
	t.Parallel()
	addr := sandboxHTTP(t, "--transport", "http")
	c := &http.Client{Timeout: 10 * time.Second}
	const list = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	madeUp := "mcp-session-00000000-0000-0000-0000-000000000000"
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: status %d, want %d", what, got, want)
		}
	}
	streamStatus := func(id string) int {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/mcp", nil)
		req.Header.Set("Accept", "text/event-stream")
		if id != "" {
			req.Header.Set("Mcp-Session-Id", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	check("GET, made-up id", streamStatus(madeUp), 404)
	code, _ := mcpRequest(t, c, addr, "DELETE", madeUp, nil, "")
	check("DELETE, made-up id", code, 404)
	code, _ = mcpRequest(t, c, addr, "POST", madeUp, nil, list)
	check("POST, made-up id", code, 404)
	code, _ = mcpRequest(t, c, addr, "POST", "", nil, list)
	check("POST tools/list, no id", code, 400)
	check("GET, no id", streamStatus(""), 400)
	code, _ = mcpRequest(t, c, addr, "DELETE", "", nil, "")
	check("DELETE, no id", code, 400)

	id := initSession(t, c, addr)
	code, _ = mcpRequest(t, c, addr, "POST", id, nil, list)
	check("POST, live id", code, 200)
	check("GET, live id", streamStatus(id), 200)
	code, _ = mcpRequest(t, c, addr, "DELETE", id, nil, "")
	check("DELETE, live id", code, 200)
	check("GET, deleted id", streamStatus(id), 404)
	code, _ = mcpRequest(t, c, addr, "DELETE", id, nil, "")
	check("DELETE, deleted id", code, 404)
	code, _ = mcpRequest(t, c, addr, "POST", id, nil, list)
	check("POST, deleted id", code, 404)

	modern := `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"0"}}}}`
	code, _ = mcpRequest(t, c, addr, "POST", "", map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}, modern)
	check("POST tools/list on 2026-07-28, no id", code, 200)
}

// TestHTTPSessionCapAndIdleExpiry opens sessions past --max-sessions: the
// one past the cap gets 503 with Retry-After; once the sessions have been
// idle past --session-idle-timeout, their ids get 404 and new ones fit.
func TestHTTPSessionCapAndIdleExpiry(t *testing.T) {
	t.Parallel()
	const max = 2000
	addr := sandboxHTTP(t, "--transport", "http", "--max-sessions", fmt.Sprint(max), "--session-idle-timeout", "2s")
	c := &http.Client{Timeout: 10 * time.Second}
	first := initSession(t, c, addr)
	for i := 1; i < max; i++ {
		initSession(t, c, addr)
	}
	code, h := mcpRequest(t, c, addr, "POST", "", nil, initBody)
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("initialize past --max-sessions %d: status %d, Retry-After %q; want 503 with Retry-After", max, code, h.Get("Retry-After"))
	}
	time.Sleep(2500 * time.Millisecond)
	if code, _ := mcpRequest(t, c, addr, "POST", first, nil, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); code != 404 {
		t.Errorf("idle-expired session: status %d, want 404", code)
	}
	initSession(t, c, addr)
}

// TestHTTPStreamCap opens --max-streams event streams: the next gets 503
// with Retry-After, on both transports.
func TestHTTPStreamCap(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		addr := sandboxHTTP(t, "--transport", tr, "--max-streams", "2")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		open := func() *http.Response {
			t.Helper()
			path := "/sse"
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+path, nil)
			if tr == "http" {
				id := initSession(t, http.DefaultClient, addr)
				req, _ = http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/mcp", nil)
				req.Header.Set("Mcp-Session-Id", id)
			}
			req.Header.Set("Accept", "text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		for i := 0; i < 2; i++ {
			if resp := open(); resp.StatusCode != 200 {
				t.Fatalf("stream %d: status %d", i, resp.StatusCode)
			}
		}
		resp := open()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("stream past --max-streams 2: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

// TestConfirmWritesRefusedOverSSE: the SSE transport cannot ask the client
// anything, so --confirm-writes with it is refused at start rather than
// refusing every write.
func TestConfirmWritesRefusedOverSSE(t *testing.T) {
	t.Parallel()
	p := launch{args: []string{"--sandbox", "--transport", "sse", "--confirm-writes", "--listen", freeAddr(t)}, env: cleanEnv()}.start(t, io.Discard)
	select {
	case <-p.exited:
		if p.err == nil || !strings.Contains(p.stderr.String(), "--confirm-writes") {
			t.Errorf("exit %v, stderr: %s", p.err, p.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server started with --transport sse --confirm-writes")
	}
}

func isNetTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestHTTPSlowBodiesHoldNoRequestSlot: clients trickling their bodies hold
// connections, never the slots of --max-inflight, so everyone else's requests
// are still served while they trickle.
func TestHTTPSlowBodiesHoldNoRequestSlot(t *testing.T) {
	t.Parallel()
	addr := sandboxHTTP(t, "--transport", "http", "--read-timeout", "20s", "--max-inflight", "2")
	for range 6 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", addr)
	}
	time.Sleep(300 * time.Millisecond) // let the server start reading each body
	c := &http.Client{Timeout: 5 * time.Second}
	for i := range 3 {
		if code, _ := mcpRequest(t, c, addr, "POST", "", nil, initBody); code != http.StatusOK {
			t.Fatalf("request %d while 6 bodies trickle: status %d, want 200", i+1, code)
		}
	}
}
