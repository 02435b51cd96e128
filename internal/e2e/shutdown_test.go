package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownDrainsInFlightCalls sends SIGTERM while a call is in flight over
// each HTTP transport: the call still gets its answer, then the process exits 0.
func TestShutdownDrainsInFlightCalls(t *testing.T) {
	t.Parallel()
	inParallel(t, []string{"http", "sse"}, func(t *testing.T, tr string) {
		addr, p, fake := backedHTTP(t, tr)
		ctx := testContext(t, 30*time.Second)
		c := connectHTTP(t, ctx, tr, addr, nil)
		done := make(chan string, 1)
		go func() {
			res, err := callTool(ctx, c, map[string]any{"toolkit_slug": "github", "endpoint": "/delay/1000", "method": "GET"})
			switch {
			case err != nil:
				done <- "error: " + err.Error()
			case res.IsError:
				done <- "isError: " + resultText(res)
			default:
				done <- resultText(res)
			}
		}()
		// Let the call reach the fake backend before asking the server to stop.
		deadline := time.Now().Add(10 * time.Second)
		for len(fake.ProxyRequests()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case got := <-done:
			if !strings.Contains(got, "HTTP 200") {
				t.Errorf("in-flight call during shutdown: %s", got)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("in-flight call got no answer")
		}
		p.waitExit(t, time.Now(), 15*time.Second)
		if p.err != nil {
			t.Errorf("exit: %v\n%s", p.err, p.stderr.String())
		}
	})
}

// TestStdioEOFAnswersCallsAlreadyRead writes many slow calls and closes stdin
// at once, as a scripted client does: every call still gets its answer.
func TestStdioEOFAnswersCallsAlreadyRead(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	const n = 200
	lines := []string{initLine, initdLine}
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/delay/300","method":"GET"}}}`, 100+i))
	}
	out, errOut, err := rawSession(t, serverEnv(fake.URL), nil, lines...)
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, errOut)
	}
	if got := strings.Count(out, `HTTP 200 OK`); got != n {
		t.Errorf("%d of %d calls answered with a result after EOF", got, n)
	}
}

// TestStdioOversizedLine sends one line over --max-request-bytes: it is
// answered with a parse error, and the next request is served.
func TestStdioOversizedLine(t *testing.T) {
	t.Parallel()
	fake := backend(t)
	huge := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/x","method":"POST","body":{"pad":"` + strings.Repeat("a", 2<<20) + `"}}}}`
	out, errOut, err := rawSession(t, serverEnv(fake.URL), []string{"--max-request-bytes", "1048576"},
		initLine, initdLine, huge, `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	if err != nil {
		t.Fatalf("exit: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"code":-32700`) || !strings.Contains(out, `"id":3,"result":{}`) {
		t.Errorf("stdout:\n%.2000s", out)
	}
	if n := len(fake.ProxyRequests()); n != 0 {
		t.Errorf("the oversized call reached Composio (%d requests)", n)
	}
}
