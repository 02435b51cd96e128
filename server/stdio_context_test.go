package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

type stdioSessionKey struct{}

// TestCallRouterServesInTheSessionContext holds the router to serving tool
// calls only in the context mcp-go hands setContext, whichever mcp-go does
// first: call setContext (as v1.2.1 does) or read. A call read before the
// context came passes through to mcp-go untouched.
func TestCallRouterServesInTheSessionContext(t *testing.T) {
	t.Parallel()
	for _, contextFirst := range []bool{true, false} {
		seen := make(chan any, 2)
		tool := server.ServerTool{Tool: mcp.NewTool("where"), Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			seen <- ctx.Value(stdioSessionKey{})
			return mcp.NewToolResultText("ok"), nil
		}}
		s := New(Options{Name: "t", Version: "1"}, tool)
		var out bytes.Buffer
		w := newStdoutWriter(&out, func(error) {})
		first, second := callLine(1, "where", "{}")+"\n", callLine(2, "where", "{}")+"\n"
		r := newCallRouter(s.mcp, strings.NewReader(first+second), w, 1<<20, log.New(io.Discard, "", 0))
		session := context.WithValue(context.Background(), stdioSessionKey{}, "session")
		if contextFirst {
			r.setContext(session)
		}
		// What mcp-go's reading loop would get.
		var passed []byte
		buf := make([]byte, 64<<10)
		for reads := 0; ; reads++ {
			n, err := r.Read(buf)
			passed = append(passed, buf[:n]...)
			if reads == 0 && !contextFirst {
				r.setContext(session)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.close(make(chan struct{}))
		close(seen)
		wantPassed, wantServed := "", 2
		if !contextFirst {
			wantPassed, wantServed = first, 1
		}
		if string(passed) != wantPassed {
			t.Errorf("contextFirst=%v: passed to mcp-go %q, want %q", contextFirst, passed, wantPassed)
		}
		served := 0
		for v := range seen {
			served++
			if v != "session" {
				t.Errorf("contextFirst=%v: a routed call ran outside the session context", contextFirst)
			}
		}
		if served != wantServed || strings.Count(out.String(), "\n") != wantServed {
			t.Errorf("contextFirst=%v: %d calls served, %d answers written, want %d", contextFirst, served, strings.Count(out.String(), "\n"), wantServed)
		}
	}
}
