// Package stopsignal turns the signals that stop a server into a context:
// the first asks for a graceful end, a second one ends the process at once.
package stopsignal

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Context returns a context that the first SIGINT or SIGTERM cancels,
// which begins a graceful end; a second one exits at once, for an operator
// who will not wait for the drain. SIGPIPE is caught too: Go would otherwise
// die of it, silently, on a write to a closed stdout; caught, the write fails
// with EPIPE, which the stdio server reports before exiting.
func Context(name string) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	go func() {
		first := true
		for sig := range sigs {
			if sig == syscall.SIGPIPE {
				continue
			}
			if first {
				first = false
				cancel()
				// Said, so that the operator (and a test) knows the signal
				// arrived: two sent close together may reach a busy process
				// as one.
				fmt.Fprintf(os.Stderr, "%s: %s: finishing the calls in flight; send it again to exit at once\n", name, sig)
				continue
			}
			fmt.Fprintf(os.Stderr, "%s: second %s: exiting without waiting for calls in flight\n", name, sig)
			os.Exit(128 + int(sig.(syscall.Signal)))
		}
	}()
	return ctx
}
