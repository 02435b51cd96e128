// Package loopback decides whether a host or an address names this machine,
// for the checks that treat loopback differently: a server listening on it
// needs no token and trusts pages served from it, and plain http is fetched
// only from it.
//
// There are two rules, because the callers ask two questions. Host is about a
// connection the program makes or accepts itself: a loopback IP, or
// "localhost", which every hosts file maps to one. Origin is about a browser:
// browsers keep every name under ".localhost" on loopback (RFC 6761), but Go's
// resolver does not, so such a name is loopback to a page and not to a dial.
package loopback

import (
	"net"
	"net/netip"
	"strings"
)

// IP reports whether host is a loopback IP literal ("127.0.0.2", "::1",
// "[::1]", "::ffff:127.0.0.1"). Names are never IPs.
func IP(host string) bool {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// Host reports whether a connection to host stays on this machine: host is a
// loopback IP (bracketed or not) or "localhost", in any case.
func Host(host string) bool {
	return strings.EqualFold(strings.Trim(host, "[]"), "localhost") || IP(host)
}

// Origin reports whether host, taken from a browser's Origin header, is
// loopback to the browser: as Host, or a name under ".localhost".
func Origin(host string) bool {
	return Host(host) || strings.HasSuffix(strings.ToLower(strings.Trim(host, "[]")), ".localhost")
}

// Addr reports whether a listen address ("127.0.0.1:8080", "[::1]:80") has a
// loopback host by the Origin rule, which is the rule the server's guard
// then applies to the pages that call it. A bare port (":8080") binds every
// interface and is not loopback.
func Addr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && Origin(host)
}
