package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
)

// TestShutdownDrainsInFlightCalls sends SIGTERM while a call is in flight over
// each HTTP transport: the call still gets its answer, then the process exits 0.
func TestShutdownDrainsInFlightCalls(t *testing.T) {
	t.Parallel()
	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			fake := backend(t)
			addr, p := startHTTP(t, serverEnv(fake.URL), "--transport", tr)
			var c *mcpclient.Client
			var err error
			if tr == "sse" {
				c, err = mcpclient.NewSSEMCPClient("http://" + addr + "/sse")
			} else {
				c, err = mcpclient.NewStreamableHttpClient("http://" + addr + "/mcp")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			initialize(t, ctx, c)
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
			select {
			case <-p.exited:
				if p.err != nil {
					t.Errorf("exit: %v\n%s", p.err, p.stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no exit after the drain")
			}
		})
	}
}
