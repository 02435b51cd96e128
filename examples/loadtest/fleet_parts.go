package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The parts of the fleet scenario besides Redis (internal/store/redistest)
// and the proxy (internal/roundrobin): a 2026-07-28 client that needs no
// session, and what the report reads off the processes.

// serveLoopback serves h on a loopback port and returns its address and its
// server, to Close at the end.
func serveLoopback(h http.Handler) (string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), srv, nil
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// modernMeta is the _meta of a 2026-07-28 request: the protocol revision and
// the client travel with each request, so no MCP session is needed.
const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"loadtest","version":"1"}}`

// modernClient sends 2026-07-28 tools/call requests, one at a time; any
// replica can answer each.
type modernClient struct {
	hc   *http.Client
	url  string
	next int64
	req  []byte
	buf  bytes.Buffer
}

// callTool calls tool with args (a JSON object) and returns the response
// (valid until the next call); it fails on a JSON-RPC error or isError.
func (c *modernClient) callTool(tool string, args []byte) ([]byte, error) {
	c.next++
	params := make([]byte, 0, len(args)+len(modernMeta)+64)
	params = append(append(append(append(params, `{"name":"`...), tool...), `","arguments":`...), args...)
	params = append(append(append(params, ','), modernMeta...), '}')
	c.req = (&lineConn{}).appendRequest(c.req[:0], c.next, "tools/call", params)
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.req[:len(c.req)-1]))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", tool)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, c.buf.Bytes())
	}
	return answerIn(c.buf.Bytes(), c.next)
}

// storedResult is the id of the stored result a cut answer links to.
func storedResult(answer []byte) (string, bool) {
	const prefix = "composio-proxy://results/"
	i := bytes.Index(answer, []byte(prefix))
	if i < 0 || len(answer) < i+len(prefix)+32 {
		return "", false
	}
	return string(answer[i+len(prefix) : i+len(prefix)+32]), true
}

// vmRSS is a process's VmRSS now, 0 when it cannot be read.
func vmRSS(pid int) int64 {
	m, err := readMem(pid)
	if err != nil {
		return 0
	}
	return m.rss
}

// ciSet reports whether the load test runs under CI, where a missing
// redis-server is a set-up fault rather than a reason to skip.
func ciSet() bool { return os.Getenv("CI") != "" }

func pctOf(n, of int) string { return strconv.Itoa(100*n/max(of, 1)) + " %" }
