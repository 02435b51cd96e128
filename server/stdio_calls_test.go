package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// These tests drive ServeStdio over pipes. mcp-go keeps one stdio session
// per process, so none of them runs in parallel.

type stdioPeer struct {
	in   *io.PipeWriter
	out  *bufio.Reader
	done chan error
}

func serveStdioPeer(t *testing.T, s *Server) *stdioPeer {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &stdioPeer{in: inW, out: bufio.NewReaderSize(outR, 1<<20), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		p.done <- ServeStdio(ctx, s, inR, outW, StdioOptions{DrainTimeout: 5 * time.Second})
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		go io.Copy(io.Discard, outR)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("ServeStdio did not return")
		}
	})
	p.send(t, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	p.read(t)
	p.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return p
}

func (p *stdioPeer) send(t *testing.T, lines ...string) {
	t.Helper()
	if _, err := io.WriteString(p.in, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (p *stdioPeer) read(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, line)
	}
	m["raw"] = line
	return m
}

func callLine(id int, tool, args string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
}

// routerTools are the tools the router tests call.
func routerTools(release <-chan struct{}, started chan<- struct{}) []server.ServerTool {
	return []server.ServerTool{
		{Tool: mcp.NewTool("echo"), Handler: func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			raw := string(req.Params.RawArguments)
			return &mcp.CallToolResult{
				Content:           []mcp.Content{mcp.NewTextContent("echo <" + raw + ">\n" + raw)},
				StructuredContent: json.RawMessage(raw),
			}, nil
		}},
		{Tool: mcp.NewTool("wait"), Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if started != nil {
				started <- struct{}{}
			}
			select {
			case <-release:
				return mcp.NewToolResultText("released"), nil
			case <-ctx.Done():
				return mcp.NewToolResultText("cancelled"), nil
			}
		}},
		{Tool: mcp.NewTool("boom"), Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			panic("boom")
		}},
	}
}

// TestStdioToolCallsAnswerAsMCPGoWould checks that a routed call's answer is
// byte for byte what mcp-go encodes for the same result.
func TestStdioToolCallsAnswerAsMCPGoWould(t *testing.T) {
	s := New(Options{Name: "t", Version: "1"}, routerTools(nil, nil)...)
	p := serveStdioPeer(t, s)
	args := `{"k":"v \u003c\u003e","n":[1,2],"s":"é"}`
	p.send(t, callLine(1, "echo", args))
	got := p.read(t)
	want, err := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(float64(1)), &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent("echo <" + args + ">\n" + args)},
		StructuredContent: json.RawMessage(args),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if string(got["raw"]) != string(want)+"\n" {
		t.Errorf("answer:\n got %s\nwant %s", got["raw"], want)
	}
	// A panicking handler is an error result (server.New recovers it), and
	// the connection goes on.
	p.send(t, callLine(2, "boom", `{}`), `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	for range 2 {
		m := p.read(t)
		switch string(m["id"]) {
		case "2":
			if !strings.Contains(string(m["raw"]), "boom") {
				t.Errorf("panicking tool: %s", m["raw"])
			}
		case "3":
			if string(m["result"]) != "{}" {
				t.Errorf("ping: %s", m["raw"])
			}
		default:
			t.Errorf("unexpected answer %s", m["raw"])
		}
	}
	// Not JSON: mcp-go answers with a parse error, as before the router.
	p.send(t, `{"jsonrpc":"2.0","id":4,"method":"tools/call",`)
	if m := p.read(t); !strings.Contains(string(m["error"]), "-32700") {
		t.Errorf("broken line: %s", m["raw"])
	}
	// A tools/call notification has no answer: the next line is the ping's.
	p.send(t, `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{}}}`, `{"jsonrpc":"2.0","id":5,"method":"ping"}`)
	if m := p.read(t); string(m["id"]) != "5" {
		t.Errorf("after a tools/call notification: %s", m["raw"])
	}
}

// TestStdioToolCallsConcurrency runs more calls at once than stdioWorkers,
// cancels one, and closes stdin with calls in flight: every call is answered.
func TestStdioToolCallsConcurrency(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1000)
	s := New(Options{Name: "t", Version: "1"}, routerTools(release, started)...)
	p := serveStdioPeer(t, s)

	const n = stdioWorkers + 50
	var lines []string
	for i := range n {
		lines = append(lines, callLine(100+i, "wait", `{}`))
	}
	p.send(t, lines...)
	for range stdioWorkers {
		<-started
	}
	select {
	case <-started:
		t.Fatalf("more than %d calls ran at once", stdioWorkers)
	case <-time.After(50 * time.Millisecond):
	}
	// Cancel one of the running calls.
	p.send(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":100}}`)
	var mu sync.Mutex
	answers := map[string]string{}
	collect := func(k int) {
		for range k {
			m := p.read(t)
			var res mcp.CallToolResult
			if err := json.Unmarshal(m["result"], &res); err != nil || len(res.Content) == 0 {
				t.Fatalf("answer: %s", m["raw"])
			}
			mu.Lock()
			answers[string(m["id"])] = res.Content[0].(mcp.TextContent).Text
			mu.Unlock()
		}
	}
	collect(1)
	if answers["100"] != "cancelled" {
		t.Errorf("cancelled call answered %v", answers)
	}
	// Close stdin before releasing the rest: they still get their answers.
	p.in.Close()
	close(release)
	collect(n - 1)
	for i := range n {
		if _, ok := answers[fmt.Sprint(100+i)]; !ok {
			t.Errorf("call %d got no answer", 100+i)
		}
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
		p.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return at EOF")
	}
}

// TestStdioQueuedBytesBackpressure: past MaxQueuedBytes of calls read and not
// answered, the reader stops taking lines (the client's writes wait) instead
// of holding them all in memory; once answers free the bytes, every call runs
// and is answered: nothing is dropped.
func TestStdioQueuedBytesBackpressure(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	started := make(chan struct{}, 100)
	s := New(Options{Name: "t", Version: "1"}, routerTools(release, started)...)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	out := bufio.NewReaderSize(outR, 1<<20)
	pad := strings.Repeat("x", 100<<10)
	line := callLine(1, "wait", `{"pad":"`+pad+`"}`)
	const fit, n = 3, 12
	done := make(chan error, 1)
	go func() {
		done <- ServeStdio(context.Background(), s, inR, outW, StdioOptions{MaxQueuedBytes: int64(fit*len(line) + 10)})
		outW.Close()
	}()
	t.Cleanup(func() {
		releaseAll()
		inW.Close()
		go io.Copy(io.Discard, outR)
		<-done
	})
	io.WriteString(inW, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n")
	if _, err := out.ReadBytes('\n'); err != nil {
		t.Fatal(err)
	}
	var sent sync.WaitGroup
	sent.Add(1)
	go func() {
		defer sent.Done()
		for i := range n {
			io.WriteString(inW, callLine(100+i, "wait", `{"pad":"`+pad+`"}`)+"\n")
		}
	}()
	for range fit {
		<-started
	}
	select {
	case <-started:
		t.Fatalf("more than %d calls of %d bytes held with a budget of %d bytes", fit, len(line), fit*len(line)+10)
	case <-time.After(100 * time.Millisecond):
	}
	releaseAll()
	seen := map[string]bool{}
	for range n {
		b, err := out.ReadBytes('\n')
		if err != nil {
			t.Fatalf("after %d answers: %v", len(seen), err)
		}
		var m struct{ ID json.RawMessage }
		json.Unmarshal(b, &m)
		seen[string(m.ID)] = true
	}
	sent.Wait()
	for i := range n {
		if !seen[fmt.Sprint(100+i)] {
			t.Errorf("call %d got no answer", 100+i)
		}
	}
}

// TestByteBudget: a request larger than the whole budget runs alone, and a
// waiter resumes when bytes are released or the budget closes.
func TestByteBudget(t *testing.T) {
	b := newByteBudget(100)
	held, ok := b.acquire(500)
	if !ok || held != 100 {
		t.Fatalf("oversized acquire: %d %v", held, ok)
	}
	got := make(chan bool)
	go func() {
		_, ok := b.acquire(1)
		got <- ok
	}()
	select {
	case <-got:
		t.Fatal("acquired past the budget")
	case <-time.After(50 * time.Millisecond):
	}
	b.release(held)
	if !<-got || b.inUse() != 1 {
		t.Fatalf("after release: in use %d", b.inUse())
	}
	go func() {
		_, ok := b.acquire(100)
		got <- ok
	}()
	b.close()
	if <-got {
		t.Error("acquired after close")
	}
}
