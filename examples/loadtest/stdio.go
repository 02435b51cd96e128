package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// lineConn is a minimal JSON-RPC client over newline-delimited pipes. It does
// no JSON decoding on the hot path: a response is matched by the "id" near
// the start of the line, which mcp-go always writes second
// ({"jsonrpc":"2.0","id":N,...}). That keeps the client's own cost far below
// what it measures.
type lineConn struct {
	w    io.Writer
	r    *bufio.Reader
	buf  []byte // reused for lines longer than r's buffer
	req  []byte // reused request buffer
	next int64
}

func newLineConn(w io.Writer, r io.Reader) *lineConn {
	return &lineConn{w: w, r: bufio.NewReaderSize(r, 1<<20)}
}

// send writes one request whose params are already JSON and returns its id.
func (c *lineConn) send(method string, params []byte) (int64, error) {
	c.next++
	c.req = c.appendRequest(c.req[:0], c.next, method, params)
	_, err := c.w.Write(c.req)
	return c.next, err
}

func (c *lineConn) appendRequest(b []byte, id int64, method string, params []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, params...)
	return append(b, "}\n"...)
}

// notify writes a notification (no id, no answer).
func (c *lineConn) notify(method string) error {
	_, err := fmt.Fprintf(c.w, `{"jsonrpc":"2.0","method":%q}`+"\n", method)
	return err
}

// readLine returns the next line without its newline; the slice is valid
// until the next call.
func (c *lineConn) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	c.buf = append(c.buf[:0], line...)
	for {
		line, err = c.r.ReadSlice('\n')
		c.buf = append(c.buf, line...)
		if err == nil {
			return c.buf[:len(c.buf)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// readResponse reads lines until a response arrives (notifications and
// server requests are skipped) and returns its id and line.
func (c *lineConn) readResponse() (int64, []byte, error) {
	for {
		line, err := c.readLine()
		if err != nil {
			return 0, nil, err
		}
		if id, ok := responseID(line); ok {
			return id, line, nil
		}
	}
}

// call sends one request and waits for its answer; it fails on a JSON-RPC
// error and on a tool result with isError.
func (c *lineConn) call(method string, params []byte) ([]byte, error) {
	id, err := c.send(method, params)
	if err != nil {
		return nil, err
	}
	for {
		got, line, err := c.readResponse()
		if err != nil {
			return nil, err
		}
		if got == id {
			return line, checkResponse(line)
		}
	}
}

// callMany writes all requests at once (one write, as a client with many
// calls in flight would), then waits for every answer.
func (c *lineConn) callMany(method string, params [][]byte) error {
	c.req = c.req[:0]
	want := make(map[int64]bool, len(params))
	for _, p := range params {
		c.next++
		want[c.next] = true
		c.req = c.appendRequest(c.req, c.next, method, p)
	}
	if _, err := c.w.Write(c.req); err != nil {
		return err
	}
	for len(want) > 0 {
		id, line, err := c.readResponse()
		if err != nil {
			return err
		}
		if !want[id] {
			continue
		}
		delete(want, id)
		if err := checkResponse(line); err != nil {
			return err
		}
	}
	return nil
}

var (
	idPrefix     = []byte(`{"jsonrpc":"2.0","id":`)
	errorMarker  = []byte(`"error":{`)
	isErrorTrue  = []byte(`"isError":true`)
	resultMarker = []byte(`"result":`)
)

// responseID reads the id of a response line; requests and notifications from
// the server (which carry "method") are not responses.
func responseID(line []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(line, idPrefix)
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0, false
	}
	after := rest[end+1:]
	if !bytes.HasPrefix(after, resultMarker) && !bytes.HasPrefix(after, []byte(`"error"`)) {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return id, err == nil
}

// checkResponse fails on a JSON-RPC error or a tool result with isError. The
// scan is a memchr-speed search, negligible next to the pipe read of the line.
func checkResponse(line []byte) error {
	if i := bytes.Index(line, errorMarker); i >= 0 && i < 64 {
		return fmt.Errorf("JSON-RPC error: %.300s", line)
	}
	if bytes.Contains(line, isErrorTrue) {
		return fmt.Errorf("tool result with isError: %.300s", line)
	}
	return nil
}
