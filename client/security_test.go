package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedirectsAreRefused: a 3xx from the base URL is an error naming the
// status and the Location's host; the host it names never sees a request, so
// never the key, with the client's own HTTP client or one given to it.
func TestRedirectsAreRefused(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		w.Write([]byte(`{"data":{"stolen":true},"status":200}`))
	}))
	defer foreign.Close()
	fu, _ := url.Parse(foreign.URL)
	for _, own := range []bool{true, false} {
		for _, status := range []int{301, 302, 303, 307, 308} {
			var opts []Option
			if !own {
				opts = append(opts, WithHTTPClient(&http.Client{}))
			}
			c, mux := setup(t, append(opts, WithMaxRetries(0))...)
			mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, foreign.URL+"/steal?x=1", status)
			})
			_, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
			var re *RedirectError
			if !errors.As(err, &re) || re.Status != status || re.LocationHost != fu.Host {
				t.Fatalf("status %d (own client %v): got %v, want a RedirectError to %s", status, own, err, fu.Host)
			}
		}
	}
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// TestCallLimiterCapsPerCallerAndTotal: past a cap a call waits, and fails with
// a BusyError when its context ends first; another credential is not held up
// by one caller's cap, and a slot freed is used.
func TestCallLimiterCapsPerCallerAndTotal(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.Write([]byte(`{"data":{},"status":200}`))
	}))
	defer srv.Close()
	defer close(release)
	lim := NewCallLimiter(2, 1)
	mk := func(key string) *Client {
		c, err := New(WithBaseURL(srv.URL), WithAPIKey(key), WithCallLimiter(lim), WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a1, a2, b, d := mk("ak_caller_a"), mk("ak_caller_a"), mk("ak_caller_b"), mk("ak_caller_d")
	done := make(chan error, 2)
	go func() { _, err := a1.ProxyExecute(context.Background(), "s", getReq()); done <- err }()
	<-entered
	short := func(c *Client) error {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.ProxyExecute(ctx, "s", getReq())
		return err
	}
	// Same credential, another Client: the per-caller cap of 1 is full.
	var be *BusyError
	if err := short(a2); !errors.As(err, &be) || !be.PerCaller || be.Limit != 1 {
		t.Fatalf("second call of caller a: %v, want busy", err)
	}
	go func() { _, err := b.ProxyExecute(context.Background(), "s", getReq()); done <- err }()
	<-entered // caller b is not held up by a's cap
	// The process cap of 2 is now full.
	c, err := New(WithBaseURL(srv.URL), WithAPIKey("ak_caller_d"), WithCallLimiter(lim), WithMaxRetries(0), WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ProxyExecute(context.Background(), "s", getReq())
	if !errors.As(err, &be) || be.PerCaller || be.Limit != 2 {
		t.Fatalf("third caller past the process cap: %v, want BusyError{Limit: 2}", err)
	}
	release <- struct{}{}
	release <- struct{}{}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	go func() { <-entered; release <- struct{}{} }()
	if _, err := d.ProxyExecute(context.Background(), "s", getReq()); err != nil {
		t.Fatalf("after the slots were freed: %v", err)
	}
	lim.mu.Lock()
	n := len(lim.callers)
	lim.mu.Unlock()
	if n != 0 {
		t.Errorf("%d caller entries left with no call in flight", n)
	}
}
