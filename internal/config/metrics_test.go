package config

import (
	"io"
	"strings"
	"testing"
)

func TestMetricsListen(t *testing.T) {
	t.Parallel()
	// Each value, then what it listens on, or "error".
	cases := [][2]string{
		{":9464", "127.0.0.1:9464"}, {"127.0.0.1:0", "127.0.0.1:0"}, {"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::1]:9464", "[::1]:9464"}, {"metrics.local:9464", "metrics.local:9464"},
		{"9464", "error"}, {":http", "error"}, {"host:99999", "error"}, {"a:b:c", "error"},
	}
	for _, tc := range cases {
		value, want := tc[0], tc[1]
		c, err := Parse([]string{"--sandbox", "--metrics-listen", value}, env(nil), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if want == "error" {
			if err == nil || !strings.Contains(err.Error(), "--metrics-listen") || !strings.Contains(err.Error(), "host:port or :port") {
				t.Errorf("%q: %v, want an error naming the flag and the form", value, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", value, err)
			continue
		}
		if got := c.StdioOptions(nil).Metrics; got.Listen != want || got.Handler == nil {
			t.Errorf("%q: stdio serves metrics on %q (handler %v), want %q", value, got.Listen, got.Handler != nil, want)
		}
	}
}

// Without --metrics-listen a stdio server has nowhere to serve metrics, so
// it counts nothing; the HTTP transports always serve /metrics.
func TestMetricsOnlyWhereServed(t *testing.T) {
	t.Parallel()
	c, err := Parse([]string{"--sandbox"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics() != nil || c.ServerObserver() != nil || c.ToolsConfig(nil).Observe != nil || c.StdioOptions(nil).Metrics.Handler != nil {
		t.Error("a stdio server without --metrics-listen keeps metrics")
	}
	c, err = Parse([]string{"--sandbox", "--transport", "http"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.httpOptions(nil)
	if o.Metrics.Handler == nil || o.Metrics.Listen != "" || c.ServerObserver() == nil || c.ToolsConfig(nil).Observe == nil {
		t.Errorf("an HTTP server's metrics: %+v", o.Metrics)
	}
}
