package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// newHTTPClient returns a client whose keep-alive pool holds conns
// connections per host, so that concurrent callers never redial.
func newHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * conns
	t.MaxIdleConnsPerHost = 2 * conns
	t.Proxy = nil
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// floorClient posts proxy_execute bodies straight to the fake backend: the
// floor that no proxy can beat, since the proxy makes this very request.
type floorClient struct {
	hc     *http.Client
	url    string
	apiKey string
}

// call sends body and reads the whole answer into buf.
func (f *floorClient) call(body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Api-Key", f.apiKey)
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("floor: HTTP %d: %.300s", resp.StatusCode, buf.Bytes())
	}
	return nil
}

// mcpHTTP is a minimal streamable HTTP MCP client: one session, one request
// at a time. Like lineConn, it matches responses without decoding them.
type mcpHTTP struct {
	hc      *http.Client
	url     string
	session string
	next    int64
	req     []byte
	buf     bytes.Buffer
}

const protocolVersion = "2025-06-18"

// initialize opens the session: initialize, notifications/initialized, and a
// tools/list, as a client does before its first call.
func (c *mcpHTTP) initialize() error {
	if _, err := c.call("initialize", initParams); err != nil {
		return err
	}
	if err := c.post([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)); err != nil {
		return err
	}
	_, err := c.call("tools/list", []byte(`{}`))
	return err
}

// call sends one request and returns its response line (valid until the next
// call); it fails as lineConn.call does.
func (c *mcpHTTP) call(method string, params []byte) ([]byte, error) {
	c.next++
	c.req = (&lineConn{}).appendRequest(c.req[:0], c.next, method, params)
	if err := c.post(c.req[:len(c.req)-1]); err != nil {
		return nil, err
	}
	return answerIn(c.buf.Bytes(), c.next)
}

// answerIn is the response to request id in an HTTP answer's body: the body
// itself, or the data line carrying it in an SSE stream; it fails as
// checkResponse does.
func answerIn(body []byte, id int64) ([]byte, error) {
	if bytes.HasPrefix(body, []byte("event:")) || bytes.HasPrefix(body, []byte("data:")) || bytes.HasPrefix(body, []byte("id:")) {
		// An SSE stream: the response is the data line carrying our id.
		var found []byte
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				if got, ok := responseID(d); ok && got == id {
					found = d
				}
			}
		}
		if found == nil {
			return nil, fmt.Errorf("no response with id %d in the SSE stream: %.300s", id, body)
		}
		body = found
	} else if got, ok := responseID(bytes.TrimSpace(body)); !ok || got != id {
		return nil, fmt.Errorf("response is not for id %d: %.300s", id, body)
	}
	return body, checkResponse(body)
}

// post sends one JSON-RPC message and reads the whole answer into c.buf.
func (c *mcpHTTP) post(msg []byte) error {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, c.buf.Bytes())
	}
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		c.session = id
	}
	return nil
}

var initParams = []byte(`{"protocolVersion":"` + protocolVersion + `","capabilities":{},"clientInfo":{"name":"loadtest","version":"1"}}`)

// waitHealthy polls the HTTP server's /healthz until it answers.
func waitHealthy(hc *http.Client, base string, p *proc) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("the HTTP server did not come up: " + lastLines(p.stderr.String()))
}

func lastLines(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	if s == "" {
		return "(no output)"
	}
	return "\n" + s
}

func itoa(n int) string { return strconv.Itoa(n) }
