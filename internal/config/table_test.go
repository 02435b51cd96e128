package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// readmeRow is a row of the README's configuration table.
type readmeRow struct{ flag, env, def string }

// readmeTable reads the table under the "| flag | environment | default |"
// header of README.md, by its flag (or, for a secret, its variable).
func readmeTable(t *testing.T) map[string]readmeRow {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]readmeRow{}
	in := false
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "| flag | environment | default |"):
			in = true
			continue
		case !in || strings.HasPrefix(line, "|---"):
			continue
		case !strings.HasPrefix(line, "|"):
			return rows
		}
		// The first three cells hold no "|"; the meaning may.
		cells := strings.SplitN(line, "|", 5)
		if len(cells) < 5 {
			t.Fatalf("README row with too few cells: %s", line)
		}
		r := readmeRow{strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])}
		key := r.flag
		if key == "" {
			key = r.env
		}
		if _, dup := rows[key]; dup {
			t.Errorf("README lists %s twice", key)
		}
		rows[key] = r
	}
	return rows
}

// TestReadmeTableMatchesFlags: the README's configuration table has a row for
// every flag and secret, with its environment variable and its default, and
// no row for anything else.
func TestReadmeTableMatchesFlags(t *testing.T) {
	t.Parallel()
	rows := readmeTable(t)
	c := &Config{}
	fs := c.flagSet(c.flags(), io.Discard)
	want := map[string]readmeRow{}
	for _, d := range c.flags() {
		r := readmeRow{flag: "`--" + d.name + "`", def: d.readme}
		if env := d.envName(); env != "" {
			r.env = "`" + env + "`"
			if def := fs.Lookup(d.name).DefValue; r.def == "" && def != "" {
				r.def = "`" + def + "`"
			}
		}
		want[r.flag] = r
	}
	for _, s := range c.secrets() {
		want["`"+s.env+"`"] = readmeRow{env: "`" + s.env + "`"}
	}
	for key, w := range want {
		got, ok := rows[key]
		switch {
		case !ok:
			t.Errorf("README.md's configuration table has no row for %s (environment %s, default %s)", key, w.env, w.def)
		case got.env != w.env:
			t.Errorf("README.md: %s reads %s, want %s", key, got.env, w.env)
		case got.def != w.def && !sameDuration(got.def, w.def):
			t.Errorf("README.md: %s defaults to %s, want %s", key, got.def, w.def)
		}
	}
	for key := range rows {
		if _, ok := want[key]; !ok {
			t.Errorf("README.md's configuration table has a row for %s, which is no flag or secret", key)
		}
	}
}

// sameDuration reports whether two `…` cells are one duration written two
// ways (30m and 30m0s).
func sameDuration(a, b string) bool {
	da, errA := time.ParseDuration(strings.Trim(a, "`"))
	db, errB := time.ParseDuration(strings.Trim(b, "`"))
	return errA == nil && errB == nil && da == db
}

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

// TestHelp: --help prints the usage and every flag to stderr, and returns
// flag.ErrHelp, which main treats as success.
func TestHelp(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	_, err := Parse([]string{"--help"}, env(nil), &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	const golden = "testdata/help.golden"
	if *update {
		if err := os.WriteFile(golden, stderr.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if stderr.String() != string(want) {
		t.Errorf("--help differs from %s (go test -update to accept):\n%s", golden, stderr.String())
	}
}
