package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// tokenAuth is an Auth wanting X-Caller, refusing others with 401 and a
// challenge, and counting the requests it sees.
func tokenAuth(seen *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			if r.Header.Get("X-Caller") == "" {
				w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="x"`)
				http.Error(w, "no caller", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func testHandler(t *testing.T, o HTTPOptions) http.Handler {
	t.Helper()
	h, shutdown, err := handler(New(Options{Name: "t", Version: "0"}), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	return h
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const appOrigin = "https://app.example"

// A browser client of an allowed origin can sign in: its preflight, which
// carries no token, gets the transport's CORS answer, and a refusal tells
// it, readably, where to sign in. The metadata routes answer CORS too.
func TestCORSAroundAuth(t *testing.T) {
	t.Parallel()
	var seen atomic.Int64
	meta := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{}") })
	for _, tr := range []string{TransportHTTP, TransportSSE} {
		h := testHandler(t, HTTPOptions{
			Transport: tr, Stateless: true, Auth: tokenAuth(&seen),
			Guard:  Guard{AllowedOrigins: []string{appOrigin}},
			Routes: map[string]http.Handler{"GET /.well-known/oauth-protected-resource/mcp": meta},
		})
		endpoint := map[string]string{TransportHTTP: "/mcp", TransportSSE: "/message"}[tr]
		for _, path := range []string{endpoint, "/.well-known/oauth-protected-resource/mcp"} {
			r := httptest.NewRequest(http.MethodOptions, path, nil)
			r.Header.Set("Origin", appOrigin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			w := serve(h, r)
			if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != appOrigin ||
				!strings.Contains(strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), "authorization") {
				t.Errorf("%s preflight of %s: %d %v", tr, path, w.Code, w.Header())
			}
		}
		r := httptest.NewRequest(http.MethodPost, endpoint, strings.NewReader("{}"))
		r.Header.Set("Origin", appOrigin)
		w := serve(h, r)
		if w.Code != 401 || w.Header().Get("Access-Control-Allow-Origin") != appOrigin ||
			w.Header().Get("Access-Control-Expose-Headers") != "Mcp-Session-Id, WWW-Authenticate" {
			t.Errorf("%s refusal: %d %v", tr, w.Code, w.Header())
		}
		r = httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil)
		r.Header.Set("Origin", appOrigin)
		if w := serve(h, r); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != appOrigin {
			t.Errorf("%s metadata: %d %v", tr, w.Code, w.Header())
		}
		r = httptest.NewRequest(http.MethodPost, endpoint, strings.NewReader("{}"))
		r.Header.Set("Origin", "https://other.example")
		if w := serve(h, r); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s another origin: %d %v", tr, w.Code, w.Header())
		}
	}
}

// The checks run in the README's order: Origin, then the caller (Auth),
// then the body size; and Auth runs within the cap on requests in flight,
// so that a flood of bad tokens is bounded like any other.
func TestChecksOrder(t *testing.T) {
	t.Parallel()
	var seen atomic.Int64
	h := testHandler(t, HTTPOptions{Transport: TransportHTTP, Stateless: true, Auth: tokenAuth(&seen), Guard: Guard{MaxRequestBytes: 10}})
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}"))
	r.Header.Set("Origin", "https://evil.example")
	if w := serve(h, r); w.Code != 403 || seen.Load() != 0 {
		t.Errorf("a foreign origin: %d, Auth saw %d requests", w.Code, seen.Load())
	}
	if w := serve(h, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(strings.Repeat("x", 100)))); w.Code != 401 {
		t.Errorf("an oversized body without a caller: %d, want 401", w.Code)
	}

	inside, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	blocking := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				close(inside)
				<-release
			}
			http.Error(w, "no", http.StatusUnauthorized)
		})
	}
	h = testHandler(t, HTTPOptions{Transport: TransportHTTP, Stateless: true, Auth: blocking, MaxInflight: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(h, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")))
	}()
	<-inside
	w := serve(h, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")))
	close(release)
	<-done
	if w.Code != http.StatusServiceUnavailable || calls.Load() != 1 {
		t.Errorf("past the cap: %d, Auth ran %d times (want 503, once)", w.Code, calls.Load())
	}
}

// onListener is r as it reaches a listener at addr.
func onListener(r *http.Request, addr string) *http.Request {
	a, _ := net.ResolveTCPAddr("tcp", addr)
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, a))
}

// /metrics on the MCP listener: with no token or sign-in, only on loopback
// and to a loopback Host; guarded, anywhere.
func TestMetricsOnMainListener(t *testing.T) {
	t.Parallel()
	metrics := Metrics{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "m 1\n") })}
	open := testHandler(t, HTTPOptions{Transport: TransportHTTP, Stateless: true, Metrics: metrics})
	guarded := testHandler(t, HTTPOptions{Transport: TransportHTTP, Stateless: true, Metrics: metrics, Guard: Guard{Token: "tok"}})
	get := func(h http.Handler, listener, host string, token bool) int {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.Host = host
		if token {
			r.Header.Set("Authorization", "Bearer tok")
		}
		return serve(h, onListener(r, listener)).Code
	}
	for name, tc := range map[string]struct {
		h              http.Handler
		listener, host string
		token          bool
		want           int
	}{
		"loopback":              {open, "127.0.0.1:8080", "127.0.0.1:8080", false, 200},
		"loopback, localhost":   {open, "127.0.0.1:8080", "localhost:8080", false, 200},
		"loopback, rebound DNS": {open, "127.0.0.1:8080", "evil.example:8080", false, 403},
		"public, no token":      {open, "10.1.2.3:8080", "mcp.example.com", false, 404},
		"public, token":         {guarded, "10.1.2.3:8080", "mcp.example.com", true, 200},
		"public, no token sent": {guarded, "10.1.2.3:8080", "mcp.example.com", false, 401},
	} {
		if got := get(tc.h, tc.listener, tc.host, tc.token); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}

// The metrics listener on loopback answers a loopback Host only.
func TestMetricsListenerRefusesRebinding(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "m 1\n") })
	stop, err := serveMetrics(t.Context(), Metrics{Handler: metrics, Listen: addr}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	_, port, _ := net.SplitHostPort(addr)
	for host, want := range map[string]int{addr: 200, "localhost:" + port: 200, "evil.example:" + port: 403, "evil.example": 403} {
		r, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		r.Host = host
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
