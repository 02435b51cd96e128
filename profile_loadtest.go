//go:build loadtestprofile

// This file is compiled only with -tags loadtestprofile, which
// examples/loadtest -profile uses: it never ships. The server then records a
// CPU profile from start-up to SIGUSR1, when it writes that and an allocation
// profile to the path prefix named by CPM_LOADTEST_PROFILE.

package main

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
