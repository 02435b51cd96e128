package config

import (
	"cmp"
	"flag"
	"fmt"
	"time"
)

// The binders register a flag of one type on a flag set. They use the flag
// package's own kinds, so that --help names each flag's type as it always has.

func stringFlag(p *string, def string) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) { fs.StringVar(p, name, def, usage) }
}

func durationFlag(p *time.Duration, def time.Duration) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) { fs.DurationVar(p, name, def, usage) }
}

func intFlag(p *int, def int) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) { fs.IntVar(p, name, def, usage) }
}

func int64Flag(p *int64, def int64) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) { fs.Int64Var(p, name, def, usage) }
}

func boolFlag(p *bool) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) { fs.BoolVar(p, name, false, usage) }
}

// listFlag is a comma-separated list; each value replaces the last, its
// items passed through norm (when not nil).
func listFlag(p *[]string, norm func(string) string) func(*flag.FlagSet, string, string) {
	return func(fs *flag.FlagSet, name, usage string) {
		fs.Func(name, usage, func(s string) error {
			*p = nil
			for _, item := range splitList(s) {
				if norm != nil {
					item = norm(item)
				}
				*p = append(*p, item)
			}
			return nil
		})
	}
}

// positive is a check that *p is above zero; msg formats the value.
func positive[T cmp.Ordered](p *T, msg string) func() error {
	return func() error {
		var zero T
		if *p <= zero {
			return fmt.Errorf(msg, *p)
		}
		return nil
	}
}
