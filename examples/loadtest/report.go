package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// print writes the report as markdown.
func (b *bench) print(w io.Writer) {
	fmt.Fprintf(w, "## composio-proxy-mcp load test\n\n")
	fmt.Fprintf(w, "Machine: %d CPUs, %s; %s %s/%s. Server: %s. Floor: a direct HTTP POST of the same proxy_execute body to the same fake backend (cold start: a process that answers with canned bytes).\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, b.bin)
	fmt.Fprintln(w, "| measure | server | floor | server vs floor | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.measure, r.server, r.floor, r.compare, r.target, r.verdict)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| server process | idle RSS (after initialize + tools/list) | peak RSS (VmHWM) | server CPU per call |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, m := range b.mems {
		idle, peak := mib(m.idle), mib(m.peak)
		switch m.scenario {
		case "stdio-1KiB":
			idle += " (target ≤ 12 MiB: " + verdict(m.idle <= 12<<20) + ")"
		case "http":
			peak += " (target ≤ 30 MiB: " + verdict(m.peak <= 30<<20) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", m.scenario, idle, peak, ms(m.cpuPerCall))
	}
	for _, n := range b.notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	if b.o.profileDir != "" {
		fmt.Fprintf(w, "\nProfiles: %s/<scenario>.cpu.pprof and .allocs.pprof (go tool pprof -top BINARY FILE).\n", b.o.profileDir)
	}
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuModel is the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}
