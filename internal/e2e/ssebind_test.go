package e2e

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openSSE opens GET /sse on addr with header and returns the /message path
// its endpoint event names; the stream stays open until the test ends.
func openSSE(t *testing.T, addr string, header http.Header) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(testContext(t, 20*time.Second), "GET", "http://"+addr+"/sse", nil)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("GET /sse: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(l, "sessionId=") {
			return l
		}
	}
	t.Fatalf("no endpoint event: %v", sc.Err())
	return ""
}

// postMessage posts an initialize to the /message path with header.
func postMessage(t *testing.T, addr, path string, header http.Header) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`))
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An SSE session is its opener's, with sign-in and with --multi-tenant: a
// caller holding another's session id gets 404 from POST /message.
func TestSSESessionIsItsCallers(t *testing.T) {
	t.Parallel()
	s := startSignedIn(t, "sse")
	signedIn := func(user string) http.Header {
		return http.Header{"Authorization": {"Bearer " + s.token(user)}}
	}
	fake := backend(t)
	multi, _ := startHTTP(t, []string{"COMPOSIO_BASE_URL=" + fake.URL, "COMPOSIO_API_KEY=", "COMPOSIO_USER_API_KEY=", "COMPOSIO_MCP_AUTH_TOKEN="},
		"--transport", "sse", "--multi-tenant")
	keyed := func(key string) http.Header {
		return http.Header{"X-Composio-Api-Key": {key}, "X-Composio-User-Id": {"u1"}}
	}
	for name, tc := range map[string]struct {
		addr         string
		owner, other http.Header
	}{
		"sign-in":      {s.addr, signedIn("alice"), signedIn("bob")},
		"multi-tenant": {multi, keyed(secretKey), keyed("ak_someone_else")},
	} {
		endpoint := openSSE(t, tc.addr, tc.owner)
		if code := postMessage(t, tc.addr, endpoint, tc.other); code != http.StatusNotFound {
			t.Errorf("%s: another caller's POST: %d, want 404", name, code)
		}
		if code := postMessage(t, tc.addr, endpoint, tc.owner); code != http.StatusAccepted {
			t.Errorf("%s: the owner's POST: %d, want 202", name, code)
		}
	}
}
