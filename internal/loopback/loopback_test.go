package loopback

import "testing"

func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in               string
		ip, host, origin bool
		addr             bool
	}{
		{in: "localhost", host: true, origin: true},
		{in: "LocalHost", host: true, origin: true},
		{in: "foo.localhost", origin: true},
		{in: "a.b.LOCALHOST", origin: true},
		{in: "localhost.example.com"},
		{in: "notlocalhost"},
		{in: "127.0.0.1", ip: true, host: true, origin: true},
		{in: "127.9.9.9", ip: true, host: true, origin: true},
		{in: "::1", ip: true, host: true, origin: true},
		{in: "[::1]", ip: true, host: true, origin: true},
		{in: "::ffff:127.0.0.1", ip: true, host: true, origin: true},
		{in: "0.0.0.0"},
		{in: "::"},
		{in: "[::]"},
		{in: "10.0.0.1"},
		{in: "128.0.0.1"},
		{in: "example.com"},
		{in: ""},
		{in: "127.0.0.1:8080", addr: true},
		{in: "localhost:1", addr: true},
		{in: "foo.localhost:8080", addr: true},
		{in: "[::1]:80", addr: true},
		{in: "127.9.9.9:1", addr: true},
		{in: "0.0.0.0:8080"},
		{in: "[::]:8080"},
		{in: ":8080"},
		{in: "10.0.0.1:80"},
		{in: "example.com:80"},
		{in: "nonsense"},
	} {
		if got := IP(tc.in); got != tc.ip {
			t.Errorf("IP(%q) = %v, want %v", tc.in, got, tc.ip)
		}
		if got := Host(tc.in); got != tc.host {
			t.Errorf("Host(%q) = %v, want %v", tc.in, got, tc.host)
		}
		if got := Origin(tc.in); got != tc.origin {
			t.Errorf("Origin(%q) = %v, want %v", tc.in, got, tc.origin)
		}
		if got := Addr(tc.in); got != tc.addr {
			t.Errorf("Addr(%q) = %v, want %v", tc.in, got, tc.addr)
		}
	}
}
