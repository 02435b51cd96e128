package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The hostile-input tests write raw bytes to the binary's stdin, as a broken or
// malicious client would, and check that stdout stays a clean JSON-RPC 2.0
// stream, that every request with an id is answered exactly once, and that the
// process survives and exits 0 on EOF.

// rawResponse is one response line from the server.
type rawResponse struct {
	ID     json.RawMessage
	Result json.RawMessage
	Error  *rawRPCError
}

type rawRPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// rawToolResult decodes a tools/call result.
type rawToolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
}

func (r rawResponse) tool() (rawToolResult, error) {
	var tr rawToolResult
	if r.Error != nil {
		return tr, fmt.Errorf("JSON-RPC error %d: %s", r.Error.Code, r.Error.Message)
	}
	err := json.Unmarshal(r.Result, &tr)
	return tr, err
}

func (tr rawToolResult) text() string {
	var b strings.Builder
	for _, c := range tr.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// stdioProc is the binary on raw pipes. A goroutine reads every stdout line,
// checks that it is JSON-RPC 2.0 and files responses by id.
type stdioProc struct {
	*proc
	t *testing.T

	readDone chan struct{}
	stdout   lockedBuffer // every byte the server wrote to stdout

	mu       sync.Mutex
	changed  chan struct{}            // closed and replaced whenever a line arrives
	byID     map[string][]rawResponse // by compact id JSON
	nullID   []rawResponse            // responses whose id is null
	problems []string                 // stdout lines that are not JSON-RPC 2.0
	oddIDs   map[string]bool          // non-conforming ids the test sent
	nextID   int
}

// startStdio runs the binary with the given env and args on raw pipes; the
// test's cleanup kills it if it is still running.
func startStdio(t *testing.T, env []string, args ...string) *stdioProc {
	t.Helper()
	p := &stdioProc{
		proc:     launch{args: args, env: env}.start(t, nil),
		t:        t,
		readDone: make(chan struct{}),
		changed:  make(chan struct{}),
		byID:     map[string][]rawResponse{},
		oddIDs:   map[string]bool{},
		nextID:   1_000_000,
	}
	go p.read(p.proc.stdout)
	return p
}

// startSandboxStdio starts the binary against its embedded fake backend and
// performs the initialize handshake.
func startSandboxStdio(t *testing.T, args ...string) *stdioProc {
	t.Helper()
	p := startStdio(t, nil, append([]string{"--sandbox"}, args...)...)
	p.send(initLine, initdLine)
	p.wait(10*time.Second, "1")
	return p
}

func (p *stdioProc) read(stdout io.Reader) {
	defer close(p.readDone)
	r := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		p.stdout.Write(line)
		if len(bytes.TrimSpace(line)) > 0 {
			p.handleLine(line)
		}
		if err != nil {
			return
		}
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q… (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func (p *stdioProc) handleLine(line []byte) {
	problem := checkJSONRPCLine(line, func(id string) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.oddIDs[id]
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		close(p.changed)
		p.changed = make(chan struct{})
	}()
	if problem != "" {
		// Reported by finish; the line is still filed if it decodes, so that
		// waiting for its id does not run into the timeout.
		p.problems = append(p.problems, problem+": "+clip(line))
	}
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  *rawRPCError    `json:"error"`
	}
	if err := json.Unmarshal(line, &msg); err != nil {
		if problem == "" {
			p.problems = append(p.problems, "undecodable: "+clip(line))
		}
		return
	}
	if msg.Method != nil {
		return // a server-to-client notification or request
	}
	r := rawResponse{ID: msg.ID, Result: msg.Result, Error: msg.Error}
	key := compactID(msg.ID)
	if key == "null" {
		p.nullID = append(p.nullID, r)
		return
	}
	p.byID[key] = append(p.byID[key], r)
}

func compactID(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// checkJSONRPCLine returns "" if line is a JSON-RPC 2.0 message a server may
// send (a response, or a notification or request of its own), else what is
// wrong with it. odd reports whether a non-conforming id (an object, array or
// boolean) is one the client sent; echoing it back is tolerated.
func checkJSONRPCLine(line []byte, odd func(id string) bool) string {
	if !utf8.Valid(line) {
		return "not UTF-8"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return "not a JSON object"
	}
	if string(fields["jsonrpc"]) != `"2.0"` {
		return `no "jsonrpc":"2.0"`
	}
	if m, ok := fields["method"]; ok {
		var s string
		if json.Unmarshal(m, &s) != nil || s == "" {
			return "method is not a string"
		}
		return ""
	}
	id, ok := fields["id"]
	if !ok {
		return "response without id"
	}
	switch c := id[0]; {
	case c == '"', c == '-', c >= '0' && c <= '9', string(id) == "null":
	default:
		if !odd(compactID(id)) {
			return "id is neither a string, a number nor null"
		}
	}
	res, hasResult := fields["result"]
	errRaw, hasError := fields["error"]
	if hasResult == hasError {
		return "want exactly one of result and error"
	}
	if hasResult && (len(res) == 0 || res[0] != '{') {
		return "result is not an object"
	}
	if hasError {
		var e struct {
			Code    *json.Number `json:"code"`
			Message *string      `json:"message"`
		}
		if json.Unmarshal(errRaw, &e) != nil || e.Code == nil || e.Message == nil {
			return "error lacks an integer code or a string message"
		}
		if _, err := strconv.Atoi(e.Code.String()); err != nil {
			return "error code is not an integer"
		}
	}
	return ""
}

// send writes lines to stdin, each followed by a newline.
func (p *stdioProc) send(lines ...string) {
	p.t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	p.sendRaw(b.Bytes())
}

func (p *stdioProc) sendRaw(b []byte) {
	p.t.Helper()
	if _, err := p.stdin.Write(b); err != nil {
		p.t.Fatalf("writing to stdin: %v; stderr:\n%s", err, lastBytes(p.stderr.String()))
	}
}

// expectOddID declares a non-conforming id the test is about to send.
func (p *stdioProc) expectOddID(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.oddIDs[compactID([]byte(id))] = true
}

// wait blocks until every id (as compact JSON: "7", `"s7"`) has a response.
func (p *stdioProc) wait(timeout time.Duration, ids ...string) {
	p.t.Helper()
	var missing []string
	p.waitFor(timeout, "answers", func() bool {
		missing = missing[:0]
		for _, id := range ids {
			if len(p.byID[id]) == 0 {
				missing = append(missing, id)
			}
		}
		return len(missing) == 0
	}, func() string {
		return fmt.Sprintf("%d ids unanswered (e.g. %v)", len(missing), missing[:min(5, len(missing))])
	})
}

// waitFor blocks until done, called with p.mu held, reports true; describe
// adds detail to the failure.
func (p *stdioProc) waitFor(timeout time.Duration, what string, done func() bool, describe ...func() string) {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		ok := done()
		changed := p.changed
		detail := ""
		if !ok {
			for _, d := range describe {
				detail += ": " + d()
			}
		}
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
			continue
		case <-p.readDone:
			p.t.Fatalf("stdout closed while waiting for %s%s%s; stderr:\n%s", what, detail, p.problemList(), lastBytes(p.stderr.String()))
		case <-deadline:
			p.t.Fatalf("after %s, still waiting for %s%s%s; stderr:\n%s", timeout, what, detail, p.problemList(), lastBytes(p.stderr.String()))
		}
	}
}

func (p *stdioProc) problemList() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) == 0 {
		return ""
	}
	return "; stdout lines that are not JSON-RPC 2.0:\n" + strings.Join(p.problems, "\n")
}

// responses returns the responses with the given id.
func (p *stdioProc) responses(id string) []rawResponse {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rawResponse(nil), p.byID[id]...)
}

func (p *stdioProc) nullIDCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.nullID)
}

func (p *stdioProc) lastNullID() rawResponse {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nullID[len(p.nullID)-1]
}

// ping sends a ping with a fresh id and waits for its answer. The server
// answers parse errors from its reading loop, before it reads the next line,
// so once the ping is answered every earlier line has been dealt with.
func (p *stdioProc) ping(timeout time.Duration) {
	p.t.Helper()
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.mu.Unlock()
	p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, id))
	p.wait(timeout, strconv.Itoa(id))
	if r := p.responses(strconv.Itoa(id)); r[0].Error != nil || string(r[0].Result) != "{}" {
		p.t.Errorf("ping %d: %+v", id, r[0])
	}
}

// serves checks that a plain tool call, with id, still succeeds within
// timeout; after says what came before it.
func (p *stdioProc) serves(id int, timeout time.Duration, after string) {
	p.t.Helper()
	p.send(toolCallLine(id, `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`))
	p.wait(timeout, strconv.Itoa(id))
	if tr, err := p.responses(strconv.Itoa(id))[0].tool(); err != nil || tr.IsError {
		p.t.Errorf("tool call %s: %v %+v", after, err, tr)
	}
}

// finish closes stdin and checks that the server exits 0, that stdout was
// JSON-RPC 2.0 throughout, and that no id was answered twice.
func (p *stdioProc) finish() {
	p.t.Helper()
	p.stdin.Close()
	limit := time.After(20 * time.Second)
	for _, done := range []chan struct{}{p.exited, p.readDone} {
		select {
		case <-done:
		case <-limit:
			p.t.Fatalf("no exit within 20 s of EOF; stderr:\n%s", lastBytes(p.stderr.String()))
		}
	}
	if p.err != nil {
		p.t.Errorf("exit on EOF: %v; stderr:\n%s", p.err, lastBytes(p.stderr.String()))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.problems {
		p.t.Errorf("stdout line is not JSON-RPC 2.0: %s", pr)
	}
	for id, rs := range p.byID {
		if len(rs) != 1 {
			p.t.Errorf("id %s answered %d times", id, len(rs))
		}
	}
	if s := p.stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		p.t.Errorf("stderr shows a panic:\n%s", lastBytes(s))
	}
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func toolCallLine(id any, args string) string {
	idj, _ := json.Marshal(id)
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"proxy_execute","arguments":%s}}`, idj, args)
}

// TestHostileMalformedLines: each line that is not a JSON-RPC request gets
// exactly one error response with id null, and nothing else; blank lines get
// at most that.
func TestHostileMalformedLines(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	cases := []struct {
		name  string
		line  string
		blank bool // may be skipped silently
	}{
		{"text", "not json at all", false},
		{"open brace", "{", false},
		{"close brace", "}", false},
		{"truncated request", `{"jsonrpc":"2.0","id":101,"method":"ping"`, false},
		{"trailing garbage", `{"jsonrpc":"2.0","id":102,"method":"ping"}}`, false},
		{"two objects", `{"jsonrpc":"2.0","id":103,"method":"ping"}{"jsonrpc":"2.0","id":104,"method":"ping"}`, false},
		{"single quotes", `{'jsonrpc':'2.0','id':105,'method':'ping'}`, false},
		{"comment", `{"jsonrpc":"2.0","id":106,"method":"ping"} // hi`, false},
		{"raw NUL in string", "{\"jsonrpc\":\"2.0\",\"id\":107,\"method\":\"pi\x00ng\"}", false},
		{"invalid escape", `{"jsonrpc":"2.0","id":108,"method":"ping","params":{"x":"\q"}}`, false},
		{"number overflow id", `{"jsonrpc":"2.0","id":1e400,"method":"ping"}`, false},
		{"method not a string", `{"jsonrpc":"2.0","id":109,"method":42}`, false},
		{"empty object", `{}`, false},
		{"empty array", `[]`, false},
		{"batch", `[{"jsonrpc":"2.0","id":110,"method":"ping"}]`, false},
		{"string", `"ping"`, false},
		{"number", `42`, false},
		{"null", `null`, false},
		{"no jsonrpc member", `{"method":"ping"}`, false},
		{"megabyte of garbage", strings.Repeat("x{[\"", 1<<18), false},
		{"blank", "", true},
		{"spaces", "   \t ", true},
	}
	for _, tc := range cases {
		before := p.nullIDCount()
		p.send(tc.line)
		p.ping(10 * time.Second)
		got := p.nullIDCount() - before
		switch {
		case got == 1:
			r := p.lastNullID()
			if r.Error == nil || (r.Error.Code != -32700 && r.Error.Code != -32600) {
				t.Errorf("%s: want a parse or invalid-request error, got %+v", tc.name, r)
			}
		case got == 0 && tc.blank:
		default:
			t.Errorf("%s: %d error responses with id null, want 1", tc.name, got)
		}
	}
	// None of the ids inside malformed lines may be answered as if valid.
	for id := 101; id <= 110; id++ {
		if rs := p.responses(strconv.Itoa(id)); len(rs) > 0 && rs[0].Error == nil {
			t.Errorf("malformed line with id %d was served: %+v", id, rs[0])
		}
	}
	// The connection still serves tool calls.
	p.serves(200, 10*time.Second, "after malformed lines")
	p.finish()
}

// TestHostileHugeLine: a 50 MB request is answered with an error (Composio
// refuses bodies over 8 MB), the process survives, and the next request is
// served.
func TestHostileHugeLine(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	const size = 50 << 20
	var b bytes.Buffer
	b.Grow(size + 512)
	b.WriteString(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"proxy_execute","arguments":{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"description":"`)
	b.Write(bytes.Repeat([]byte("a"), size))
	b.WriteString("\"}}}}\n")
	start := time.Now()
	p.sendRaw(b.Bytes())
	b = bytes.Buffer{}
	p.send(`{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	p.wait(45*time.Second, "3")
	t.Logf("50 MB request refused in %s", time.Since(start).Round(time.Millisecond))
	// A line over --max-request-bytes (8 MiB by default) is cut before it is
	// parsed: it earns a parse error, whose id is null because the id was
	// never read, and its tool call never runs.
	if p.nullIDCount() != 1 {
		t.Fatalf("%d null-id responses, want 1 parse error for the 50 MB line", p.nullIDCount())
	}
	if r := p.lastNullID(); r.Error == nil || r.Error.Code != -32700 {
		t.Errorf("50 MB line: want a -32700 parse error, got %+v", r)
	}
	if got := len(p.responses("2")); got != 0 {
		t.Errorf("the 50 MB call was answered %d times; it should never have run", got)
	}
	if st, err := readProcMem(p.cmd.Process.Pid); err == nil {
		t.Logf("server peak RSS (VmHWM) with a 50 MB request: %s", fmtMiB(st.hwm))
	}
	p.serves(4, 20*time.Second, "after the 50 MB request")
	p.finish()
}

// TestHostileInvalidUTF8: invalid UTF-8 inside JSON strings is either refused
// or replaced, never echoed raw (stdout stays valid UTF-8); outside strings it
// is a parse error.
func TestHostileInvalidUTF8(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	inString := []struct{ id, line string }{
		{"10", toolCallLine(10, "{\"toolkit_slug\":\"github\",\"endpoint\":\"/u\xff\xfe\",\"method\":\"GET\"}")},
		{"11", toolCallLine(11, "{\"toolkit_slug\":\"git\xc3\x28hub\",\"endpoint\":\"/user\",\"method\":\"GET\"}")},
		{"12", toolCallLine(12, "{\"toolkit_slug\":\"github\",\"endpoint\":\"/user\",\"method\":\"GET\",\"parameters\":[{\"name\":\"h\xed\xa0\x80\",\"value\":\"\xf4\x90\x80\x80\",\"type\":\"header\"}]}")},
		{"13", toolCallLine(13, `{"toolkit_slug":"github","endpoint":"/u\ud800x","method":"GET"}`)},
		{"14", toolCallLine(14, "{\"toolkit_slug\":\"github\",\"endpoint\":\"/user\",\"method\":\"POST\",\"body\":{\"k\xff\":\"\xc0\xaf\"}}")},
		{"15", "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"pi\xffng\"}"},
		{"16", "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"tools/call\",\"params\":{\"name\":\"proxy_\xffexecute\",\"arguments\":{}}}"},
		{"\"\ufffdid\"", "{\"jsonrpc\":\"2.0\",\"id\":\"\xffid\",\"method\":\"ping\"}"},
	}
	var ids []string
	for _, c := range inString {
		p.send(c.line)
		ids = append(ids, c.id)
	}
	p.wait(20*time.Second, ids...)
	for _, c := range inString {
		r := p.responses(c.id)[0]
		if r.Error != nil {
			continue
		}
		if tr, err := r.tool(); err == nil && !tr.IsError && strings.Contains(c.line, "tools/call") {
			// Forwarded: the invalid bytes must have become U+FFFD, not passed raw.
			if !strings.Contains(tr.text(), "\ufffd") {
				t.Errorf("id %s: forwarded without U+FFFD: %.300s", c.id, tr.text())
			}
		}
	}
	outside := []string{
		"\xff\xfe{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"ping\"}\xff",
		"{\"jsonrpc\":\"2.0\",\xff\"id\":22,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":2\xff3,\"method\":\"ping\"}",
	}
	for i, line := range outside {
		before := p.nullIDCount()
		p.send(line)
		p.ping(10 * time.Second)
		if got := p.nullIDCount() - before; got != 1 {
			t.Errorf("invalid UTF-8 outside strings (#%d): %d error responses with id null, want 1", i, got)
		} else if r := p.lastNullID(); r.Error == nil || r.Error.Code != -32700 {
			t.Errorf("invalid UTF-8 outside strings (#%d): want a parse error, got %+v", i, r)
		}
	}
	for _, id := range []string{"20", "21", "22", "23"} {
		if len(p.responses(id)) > 0 {
			t.Errorf("line with id %s and invalid UTF-8 outside strings was served", id)
		}
	}
	p.finish()
}

// nestJSON returns open, then "1", then close, each n times.
func nestJSON(open, close string, n int) string {
	return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
}

// TestHostileDeepNesting: arguments nested far past encoding/json's depth limit
// (10,000) are answered with an error and the server stays up; nesting just
// under the limit is served or refused, but answered.
func TestHostileDeepNesting(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	const deep = 100_000
	tooDeep := []struct{ name, id, line string }{
		{"body objects", "30", toolCallLine(30, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":`+nestJSON(`{"a":`, `}`, deep)+`}`)},
		{"body arrays", "31", toolCallLine(31, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":{"a":`+nestJSON(`[`, `]`, deep)+`}}`)},
		{"arguments", "32", toolCallLine(32, nestJSON(`{"a":`, `}`, deep))},
		{"params", "33", `{"jsonrpc":"2.0","id":33,"method":"ping","params":` + nestJSON(`[`, `]`, deep) + `}`},
		{"unclosed", "34", toolCallLine(34, strings.Repeat(`{"a":`, deep))},
	}
	for _, tc := range tooDeep {
		before := p.nullIDCount()
		p.send(tc.line)
		p.ping(20 * time.Second)
		rs := p.responses(tc.id)
		switch {
		case p.nullIDCount()-before == 1 && len(rs) == 0:
			if r := p.lastNullID(); r.Error == nil || r.Error.Code != -32700 {
				t.Errorf("%s: want a parse error, got %+v", tc.name, r)
			}
		case len(rs) == 1 && p.nullIDCount() == before:
			if rs[0].Error == nil {
				if tr, err := rs[0].tool(); err != nil || !tr.IsError {
					t.Errorf("%s: served %d levels deep: %.300s", tc.name, deep, rs[0].Result)
				}
			}
		default:
			t.Errorf("%s: %d null-id errors and %d responses, want one answer", tc.name, p.nullIDCount()-before, len(rs))
		}
	}
	// Just under the limit: answered (served or refused), and the server lives.
	const shallow = 9_000
	p.send(toolCallLine(40, `{"toolkit_slug":"github","endpoint":"/user/repos","method":"POST","body":`+nestJSON(`{"a":`, `}`, shallow)+`}`))
	p.wait(20*time.Second, "40")
	p.serves(41, 20*time.Second, "after deep nesting")
	p.finish()
}

// TestHostileWrongTypes: params, arguments, names and ids of the wrong type get
// an error response or an isError result with the request's id, never a crash
// or silence.
func TestHostileWrongTypes(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	const (
		rpcErr  = "error"   // a JSON-RPC error
		toolErr = "isError" // a tool result with isError
		ok      = "ok"      // a result that is not an error
		either  = "either"  // rpcErr or toolErr
	)
	cases := []struct {
		id, line, want string
		code           int // for rpcErr, when set
	}{
		{"50", `{"jsonrpc":"2.0","id":50,"method":"tools/call","params":"proxy_execute"}`, rpcErr, -32600},
		{"51", `{"jsonrpc":"2.0","id":51,"method":"tools/call","params":null}`, rpcErr, 0},
		{"52", `{"jsonrpc":"2.0","id":52,"method":"tools/call","params":[1,2]}`, rpcErr, 0},
		{"53", `{"jsonrpc":"2.0","id":53,"method":"tools/call","params":42}`, rpcErr, 0},
		{"54", `{"jsonrpc":"2.0","id":54,"method":"tools/call"}`, rpcErr, 0},
		{"55", toolCallLine(55, `"toolkit_slug=github"`), toolErr, 0},
		{"56", toolCallLine(56, `["github","/user","GET"]`), toolErr, 0},
		{"57", toolCallLine(57, `42`), toolErr, 0},
		{"58", toolCallLine(58, `null`), toolErr, 0},
		{"59", toolCallLine(59, `true`), toolErr, 0},
		{"60", `{"jsonrpc":"2.0","id":60,"method":"tools/call","params":{"name":"proxy_execute"}}`, toolErr, 0},
		{"61", `{"jsonrpc":"2.0","id":61,"method":"tools/call","params":{"name":42,"arguments":{}}}`, rpcErr, 0},
		{"62", `{"jsonrpc":"2.0","id":62,"method":"tools/call","params":{"name":null,"arguments":{}}}`, either, 0},
		{"63", toolCallLine(63, `{"toolkit_slug":1,"endpoint":[],"method":{}}`), toolErr, 0},
		{"64", toolCallLine(64, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":"x"}`), toolErr, 0},
		{"65", toolCallLine(65, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[1,"a",null]}`), toolErr, 0},
		{"66", toolCallLine(66, `{"toolkit_slug":"github","endpoint":"/user","method":"POST","body":"not an object"}`), toolErr, 0},
		{"67", toolCallLine(67, `{"toolkit_slug":"github","endpoint":"/user","method":"POST","binary_body":[]}`), toolErr, 0},
		{"68", toolCallLine(68, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","toolkit_slug":7}`), either, 0},
		{"69", `{"jsonrpc":"2.0","id":69,"method":"tools/list","params":"x"}`, rpcErr, 0},
		{"70", `{"jsonrpc":"2.0","id":70,"method":"initialize","params":"x"}`, rpcErr, 0},
		{"71", `{"jsonrpc":"2.0","id":71,"method":"ping","params":[1]}`, rpcErr, 0},
		{"72", `{"jsonrpc":"1.0","id":72,"method":"ping"}`, rpcErr, -32600},
		{"73", `{"id":73,"method":"ping"}`, rpcErr, -32600},
		{"74", `{"jsonrpc":2.0,"id":74,"method":"ping"}`, rpcErr, 0},
		{"75", `{"jsonrpc":"2.0","id":75,"method":"tools/call","params":{"name":"proxy_execute","arguments":{},"_meta":"x"}}`, either, 0},
		{"-1.5", `{"jsonrpc":"2.0","id":-1.5,"method":"ping"}`, ok, 0},
		{`""`, `{"jsonrpc":"2.0","id":"","method":"ping"}`, ok, 0},
		{`"76"`, `{"jsonrpc":"2.0","id":"76","method":"ping"}`, ok, 0},
	}
	// Ids that JSON-RPC forbids: the server may answer with id null or echo
	// them; either way it must answer once and keep going.
	oddIDs := []string{`{"a":1}`, `[1]`, `true`, `false`}
	for _, id := range oddIDs {
		p.expectOddID(id)
	}
	for _, c := range cases {
		// One at a time, with a ping behind: an answer with id null (the
		// server could not tell the id) is then known to be this line's.
		before := p.nullIDCount()
		p.send(c.line)
		p.ping(10 * time.Second)
		if p.nullIDCount() == before {
			// Requests are served concurrently: the ping may overtake it.
			p.wait(10*time.Second, c.id)
		}
		var r rawResponse
		rs, nulls := p.responses(c.id), p.nullIDCount()-before
		switch {
		case len(rs) == 1 && nulls == 0:
			r = rs[0]
		case len(rs) == 0 && nulls == 1:
			r = p.lastNullID()
		default:
			t.Errorf("id %s: %d answers with its id and %d with id null, want one answer", c.id, len(rs), nulls)
			continue
		}
		got := ok
		if r.Error != nil {
			got = rpcErr
		} else if tr, err := r.tool(); err == nil && tr.IsError {
			got = toolErr
		}
		switch {
		case got == c.want, c.want == either && got != ok:
		default:
			t.Errorf("id %s: got %s, want %s: %+v %.300s", c.id, got, c.want, r.Error, r.Result)
		}
		if c.code != 0 && (r.Error == nil || r.Error.Code != c.code) {
			t.Errorf("id %s: want error code %d, got %+v", c.id, c.code, r.Error)
		}
	}
	for _, id := range oddIDs {
		before := p.nullIDCount()
		p.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)
		p.ping(10 * time.Second)
		key := compactID([]byte(id))
		p.waitFor(10*time.Second, "an answer to id "+id, func() bool {
			return len(p.byID[key]) > 0 || len(p.nullID) > before
		})
		echoed := len(p.responses(key))
		if nulls := p.nullIDCount() - before; echoed+nulls != 1 {
			t.Errorf("id %s: %d echoed and %d null-id answers, want one answer", id, echoed, nulls)
		} else if echoed == 1 {
			t.Logf("id %s (not allowed by JSON-RPC 2.0) was echoed back rather than refused with Invalid Request", id)
		}
	}
	// A request whose id is null is a notification in all but name: no answer
	// with a result may come back for it.
	before := p.nullIDCount()
	p.send(`{"jsonrpc":"2.0","id":null,"method":"ping"}`)
	p.ping(10 * time.Second)
	if p.nullIDCount() != before {
		if r := p.lastNullID(); r.Error == nil {
			t.Errorf("id null ping answered with a result: %+v", r)
		}
	}
	p.finish()
}

// TestHostileUnknownMethodsAndTools: unknown methods get -32601, unknown
// notifications get nothing, and unknown tool names get an error, not a call.
func TestHostileUnknownMethodsAndTools(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	methods := map[string]string{
		"80": "no/such/method", "81": "tools/cal", "82": "TOOLS/CALL", "83": "", "84": "rpc.discover",
		"85": "resources/read", "86": "prompts/get", "87": "sampling/createMessage", "88": strings.Repeat("m", 1<<16),
		"89": "tools/call/", "90": "notifications/initialized",
	}
	var ids []string
	for id, m := range methods {
		p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%s,"params":{}}`, id, quoteJSON(m)))
		ids = append(ids, id)
	}
	// Well-formed notifications: never answered, whatever their method.
	p.send(`{"jsonrpc":"2.0","method":"notifications/no_such_thing","params":{}}`,
		`{"jsonrpc":"2.0","method":"no/such/method"}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":424242}}`)
	tools := map[string]string{
		"91": "nope", "92": "", "93": "PROXY_EXECUTE", "94": "proxy_execute ", "95": " proxy_execute",
		"96": "../proxy_execute", "97": strings.Repeat("t", 1<<20), "98": "proxy_execute\u0000",
	}
	for id, name := range tools {
		p.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":%s,"arguments":{"toolkit_slug":"github","endpoint":"/user","method":"GET"}}}`, id, quoteJSON(name)))
		ids = append(ids, id)
	}
	p.wait(20*time.Second, ids...)
	for id, m := range methods {
		r := p.responses(id)[0]
		switch id {
		case "90":
			// A notification's name sent as a request: any answer will do.
		case "85", "86", "87":
			// Real MCP methods the server may come to support: with empty
			// params they must still fail.
			if r.Error == nil {
				t.Errorf("method %q with empty params: want an error, got %.200s", m, r.Result)
			}
		default:
			if r.Error == nil || (r.Error.Code != -32601 && r.Error.Code != -32600) {
				t.Errorf("method %.40q: want method-not-found, got %+v %.200s", m, r.Error, r.Result)
			}
		}
	}
	for id, name := range tools {
		r := p.responses(id)[0]
		if r.Error != nil {
			continue
		}
		if tr, err := r.tool(); err != nil || !tr.IsError {
			t.Errorf("tool %.40q: served: %.300s", name, r.Result)
		}
	}
	p.ping(10 * time.Second)
	if nulls := p.nullIDCount(); nulls != 0 {
		t.Errorf("%d responses with id null: notifications must not be answered", nulls)
	}
	// A malformed notification may get an error with id null, at most one.
	p.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":"x"}`)
	p.ping(10 * time.Second)
	if nulls := p.nullIDCount(); nulls > 1 {
		t.Errorf("%d answers to one malformed notification", nulls)
	} else if nulls == 1 && p.lastNullID().Error == nil {
		t.Errorf("malformed notification answered with a result: %+v", p.lastNullID())
	}
	p.finish()
}

// TestHostileFlood writes 10,000 requests (pings and tool calls, with
// notifications in between) as fast as the pipe takes them: each id gets
// exactly one response, each tool result is its own call's, and the server
// still answers afterwards.
func TestHostileFlood(t *testing.T) {
	t.Parallel()
	p := startSandboxStdio(t)
	const n = 10_000
	var b bytes.Buffer
	ids := make([]string, 0, n)
	for i := range n {
		id := 10_000 + i
		ids = append(ids, strconv.Itoa(id))
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"ping"}`+"\n", id)
		} else {
			b.WriteString(toolCallLine(id, fmt.Sprintf(`{"toolkit_slug":"github","endpoint":"/flood","method":"GET","parameters":[{"name":"i","value":"%d","type":"query"}]}`, id)))
			b.WriteByte('\n')
		}
		if i%100 == 0 {
			b.WriteString(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}` + "\n")
		}
	}
	start := time.Now()
	p.sendRaw(b.Bytes())
	p.wait(45*time.Second, ids...)
	elapsed := time.Since(start)
	t.Logf("%d requests answered in %s (%.0f/s)", n, elapsed.Round(time.Millisecond), n/elapsed.Seconds())
	var failures int
	for i, id := range ids {
		r := p.responses(id)[0]
		if i%2 == 0 {
			if r.Error != nil || string(r.Result) != "{}" {
				failures++
				if failures <= 5 {
					t.Errorf("ping %s: %+v %s", id, r.Error, r.Result)
				}
			}
			continue
		}
		tr, err := r.tool()
		var sc struct {
			Status int `json:"status"`
			Data   struct {
				Query map[string]string `json:"query"`
			} `json:"data"`
		}
		if err == nil {
			err = json.Unmarshal(tr.StructuredContent, &sc)
		}
		if err != nil || tr.IsError || sc.Status != 200 || sc.Data.Query["i"] != id {
			failures++
			if failures <= 5 {
				t.Errorf("tool call %s: %v isError=%v status=%d i=%q %.200s", id, err, tr.IsError, sc.Status, sc.Data.Query["i"], tr.text())
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d requests failed", failures, n)
	}
	p.ping(10 * time.Second)
	if c := p.nullIDCount(); c != 0 {
		t.Errorf("%d responses with id null during the flood", c)
	}
	p.finish()
}

// TestInvalidUTF8FromUpstreamStaysOffStdout: an upstream answer whose JSON
// strings hold invalid UTF-8 must not put invalid UTF-8 on stdout: JSON text is
// UTF-8 (RFC 8259), and strict MCP clients (Python's SDK decodes stdio as
// strict UTF-8) drop the connection over it.
func TestInvalidUTF8FromUpstreamStaysOffStdout(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{\"data\":{\"name\":\"caf\xe9\",\"k\xff\":[\"\xc0\xaf\"]},\"status\":200,\"headers\":{\"x-h\":\"v\xfe\"}}"))
	}))
	defer upstream.Close()
	p := startStdio(t, serverEnv(upstream.URL))
	p.send(initLine, initdLine)
	p.send(toolCallLine(2, `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`))
	p.wait(20*time.Second, "1", "2")
	r := p.responses("2")[0]
	if tr, err := r.tool(); err != nil {
		t.Errorf("tool call: %v", err)
	} else if !tr.IsError && !strings.Contains(string(r.Result), "caf\ufffd") {
		t.Errorf("the invalid byte was not replaced by U+FFFD: %.300s", r.Result)
	}
	p.finish()
}
