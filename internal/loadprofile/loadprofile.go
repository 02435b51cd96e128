// Package loadprofile records CPU, allocation and goroutine profiles of a
// server process for examples/loadtest -profile. The server imports it only
// when built with -tags loadtestprofile, so it never ships: its init starts a
// CPU profile at process start when CPM_LOADTEST_PROFILE names a path
// prefix, and SIGUSR1 writes the profiles there.
package loadprofile

import (
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

func init() {
	prefix := os.Getenv("CPM_LOADTEST_PROFILE")
	if prefix == "" {
		return
	}
	cpu, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		<-sig
		pprof.StopCPUProfile()
		cpu.Close()
		// The allocation profile is as of the last GC: run one so that it
		// covers everything up to now.
		runtime.GC()
		if f, err := os.Create(prefix + ".allocs.pprof"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if f, err := os.Create(prefix + ".goroutines.txt"); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
		_ = os.WriteFile(prefix+".done", nil, 0o644)
	}()
}
