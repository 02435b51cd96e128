package config

import (
	"fmt"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
	"net"
	"strconv"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/metrics"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/server"
)

// checkMetricsListen accepts host:port or a bare :port (which binds
// loopback); any host may be named, since a scraper may be elsewhere, and
// the server warns of one that is not loopback.
func (c *Config) checkMetricsListen() error {
	if c.metricsListen == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(c.metricsListen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return fmt.Errorf("--metrics-listen %q: want host:port or :port, such as 127.0.0.1:9464 or :9464", c.metricsListen)
	}
	return nil
}

// MetricsListen is the address of --metrics-listen, a bare :port on
// loopback; "" for none.
func (c *Config) MetricsListen() string {
	host, port, err := net.SplitHostPort(c.metricsListen)
	if err != nil {
		return ""
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Metrics is the process's metrics, made on first use; nil when nothing
// could serve them (stdio without --metrics-listen), so that such a server
// counts nothing. Call it after Validate, from one goroutine.
func (c *Config) Metrics() *metrics.Metrics {
	if c.metrics == nil && (c.Transport != "stdio" || c.MetricsListen() != "") {
		// Toolkits outside --allow-toolkits are refused, so a label needs no
		// other; without it, the well-known slugs.
		c.metrics = metrics.New(metrics.Options{Toolkits: c.allowToolkits, Tools: tools.Names()})
	}
	return c.metrics
}

// ServerObserver is what the MCP server tells of its rate-limit refusals
// and sessions; nil without metrics.
func (c *Config) ServerObserver() server.Observer {
	if m := c.Metrics(); m != nil {
		return m
	}
	return nil
}

// serverMetrics is what the transports serve of the metrics.
func (c *Config) serverMetrics() server.Metrics {
	m := c.Metrics()
	if m == nil {
		return server.Metrics{}
	}
	return server.Metrics{Handler: m.Handler(), Listen: c.MetricsListen()}
}
