package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// step answers one attempt of a scripted upstream.
type step func(w http.ResponseWriter, r *http.Request)

// scripted is a Composio stand-in that answers attempt i with steps[i] (the last step
// repeats), and a client for it whose waits are recorded instead of slept.
type scripted struct {
	c      *Client
	url    string
	hits   atomic.Int32
	mu     sync.Mutex
	bodies [][]byte        // request bodies, in order
	waits  []time.Duration // waits the client asked for between attempts
}

func newScripted(t *testing.T, steps []step, opts ...Option) *scripted {
	t.Helper()
	s := &scripted{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, b)
		s.mu.Unlock()
		i := int(s.hits.Add(1)) - 1
		steps[min(i, len(steps)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	c, err := New(append([]Option{WithBaseURL(srv.URL), WithAPIKey(testAPIKey)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		s.mu.Lock()
		s.waits = append(s.waits, d)
		s.mu.Unlock()
		return ctx.Err()
	}
	// The ceiling itself, so that backoffs are predictable.
	c.jitter = func(ceiling time.Duration) time.Duration { return ceiling }
	s.c = c
	return s
}

func (s *scripted) recordedWaits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// answer is a step that sends status, headers (name, value pairs) and body.
func answer(status int, body string, header ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

var okStep = answer(200, `{"status":200,"data":{"ok":true}}`, "Content-Type", "application/json")

// cutMidBody is a step that announces a 100-byte body, sends part of it and drops the
// connection: with rst, by a TCP reset; without, by an orderly close.
func cutMidBody(rst bool) step {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"status\":200,\"da")
		buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok && rst {
			time.Sleep(20 * time.Millisecond) // let the headers arrive before the reset
			tc.SetLinger(0)
		}
		conn.Close()
	}
}

// hangUp is a step that closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// slowBody is a step that sends headers and the start of a body at once, then one
// byte every 10 ms until the client goes away.
func slowBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":200,"data":"`)
	w.(http.Flusher).Flush()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := io.WriteString(w, "x"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}

func req(method string) *ProxyRequest {
	return &ProxyRequest{ToolkitSlug: "github", Endpoint: "/repos/o/r/issues", Method: method, Body: []byte(`{"title":"t"}`)}
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	soon := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	const bare429 = `{"message":"Rate limit exceeded. Limit: 100 requests per 1 minutes"}`
	const envelope503 = `{"error":{"message":"upstream unavailable","status":503}}`
	tests := []struct {
		name         string
		method       string
		steps        []step
		wantAttempts int
		wantErr      func(error) bool // nil: want success
		wantWaits    []time.Duration  // nil: don't check
	}{
		// A Composio 429 means "not executed": retried whatever the method.
		{"429 bare then success, POST", "POST", []step{answer(429, bare429), okStep}, 2, nil,
			[]time.Duration{500 * time.Millisecond}},
		{"429 bare then success, GET", "GET", []step{answer(429, bare429), okStep}, 2, nil, nil},
		{"429 Retry-After seconds", "POST", []step{answer(429, bare429, "Retry-After", "3"), okStep}, 2, nil,
			[]time.Duration{3 * time.Second}},
		{"429 retry-after-ms", "POST", []step{answer(429, bare429, "Retry-After-Ms", "250"), okStep}, 2, nil,
			[]time.Duration{250 * time.Millisecond}},
		{"429 Retry-After HTTP date", "DELETE", []step{answer(429, bare429, "Retry-After", soon(10*time.Second)), okStep}, 2, nil, nil},
		{"429 Retry-After over the cap: returned at once", "GET", []step{answer(429, bare429, "Retry-After", "60"), okStep}, 1,
			func(err error) bool {
				var e *APIError
				return errors.As(err, &e) && e.HTTPStatus == 429 && e.RetryAfter == time.Minute
			}, []time.Duration{}},
		{"429 HTTP date an hour away: returned at once", "GET", []step{answer(429, bare429, "Retry-After", soon(time.Hour)), okStep}, 1,
			func(err error) bool {
				var e *APIError
				return errors.As(err, &e) && e.RetryAfter > 59*time.Minute
			}, []time.Duration{}},
		{"429 always: gives up after 3", "POST", []step{answer(429, bare429)}, 3,
			func(err error) bool { return errors.Is(err, &APIError{Slug: SlugTooManyRequests}) },
			[]time.Duration{500 * time.Millisecond, time.Second}},

		// 502/503/504: only a read is repeated.
		{"503 then success, GET", "GET", []step{answer(503, envelope503), okStep}, 2, nil, nil},
		{"503 then success, HEAD", "HEAD", []step{answer(503, envelope503), okStep}, 2, nil, nil},
		{"503, POST: not retried", "POST", []step{answer(503, envelope503), okStep}, 1, isStatus(503), nil},
		{"503, PATCH: not retried", "PATCH", []step{answer(503, envelope503), okStep}, 1, isStatus(503), nil},
		{"502 html then success, GET", "GET", []step{answer(502, "<html>bad gateway</html>", "Content-Type", "text/html"), okStep}, 2, nil, nil},
		{"504 always, GET", "GET", []step{answer(504, "")}, 3, isStatus(504), nil},
		{"503 Retry-After honoured, GET", "GET", []step{answer(503, envelope503, "Retry-After", "2"), okStep}, 2, nil,
			[]time.Duration{2 * time.Second}},

		// Never retried.
		{"HTML 500, GET", "GET", []step{answer(500, "<html><body>Internal Server Error</body></html>", "Content-Type", "text/html"), okStep}, 1,
			func(err error) bool {
				var e *APIError
				return errors.As(err, &e) && e.HTTPStatus == 500 && strings.Contains(e.Body, "Internal Server Error")
			}, nil},
		{"400, GET", "GET", []step{answer(400, `{"error":{"message":"bad","slug":"ToolRouterV2_BadRequest"}}`), okStep}, 1, isStatus(400), nil},
		{"upstream 503 inside a 200, GET", "GET", []step{answer(200, `{"status":503,"data":"down"}`), okStep}, 1, nil, nil},
		{"200 with non-JSON body", "GET", []step{answer(200, "<html>captive portal</html>", "Content-Type", "text/html"), okStep}, 1,
			func(err error) bool {
				return strings.Contains(err.Error(), "decoding") && strings.Contains(err.Error(), "text/html")
			}, nil},
		{"200 with truncated JSON", "GET", []step{answer(200, `{"status":200,"data":{"items":[1,2`), okStep}, 1,
			func(err error) bool { return strings.Contains(err.Error(), "decoding") }, nil},

		// The connection dropped after the request was sent.
		{"reset mid-body, GET", "GET", []step{cutMidBody(true), okStep}, 2, nil, nil},
		{"reset mid-body, POST", "POST", []step{cutMidBody(true), okStep}, 1,
			func(err error) bool { return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) }, nil},
		{"closed mid-body, GET", "GET", []step{cutMidBody(false), okStep}, 2, nil, nil},
		{"closed mid-body, POST", "POST", []step{cutMidBody(false), okStep}, 1,
			func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }, nil},
		{"hung up before answering, HEAD", "HEAD", []step{hangUp, okStep}, 2, nil, nil},
		{"hung up before answering, PUT", "PUT", []step{hangUp, okStep}, 1,
			func(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScripted(t, tt.steps)
			resp, err := s.c.ProxyExecute(context.Background(), "trs_test", req(tt.method))
			if got := int(s.hits.Load()); got != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", got, tt.wantAttempts)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				if resp.Attempts != tt.wantAttempts {
					t.Errorf("resp.Attempts = %d, want %d", resp.Attempts, tt.wantAttempts)
				}
			} else {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v (%T), not the error wanted", err, err)
				}
				if got := Attempts(err); got != tt.wantAttempts {
					t.Errorf("Attempts(err) = %d, want %d", got, tt.wantAttempts)
				}
				var ae *AttemptsError
				if errors.As(err, &ae) != (tt.wantAttempts > 1) {
					t.Errorf("err %v: *AttemptsError present = %v with %d attempts", err, !(tt.wantAttempts > 1), tt.wantAttempts)
				}
			}
			if waits := s.recordedWaits(); tt.wantWaits != nil && len(waits)+len(tt.wantWaits) > 0 && !reflect.DeepEqual(waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", waits, tt.wantWaits)
			}
			// Every attempt sends the whole body again.
			s.mu.Lock()
			defer s.mu.Unlock()
			for i, b := range s.bodies {
				if !bytes.Equal(b, s.bodies[0]) || !bytes.Contains(b, []byte(`"title":"t"`)) {
					t.Errorf("attempt %d sent %q, first sent %q", i+1, b, s.bodies[0])
				}
			}
		})
	}
}

func isStatus(code int) func(error) bool {
	return func(err error) bool {
		var e *APIError
		return errors.As(err, &e) && e.HTTPStatus == code
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	s := newScripted(t, []step{answer(429, "", "Retry-After", time.Now().Add(10*time.Second).UTC().Format(http.TimeFormat)), okStep})
	if _, err := s.c.ProxyExecute(context.Background(), "trs_test", req("POST")); err != nil {
		t.Fatal(err)
	}
	// The date has one-second resolution, and some time passed since it was made.
	if w := s.recordedWaits(); len(w) != 1 || w[0] < 8*time.Second || w[0] > 10*time.Second {
		t.Errorf("waits = %v, want one of about 9 s", w)
	}
}

func TestRetryAfterCapOption(t *testing.T) {
	t.Parallel()
	s := newScripted(t, []step{answer(429, "", "Retry-After", "3"), okStep}, WithRetryAfterCap(2*time.Second))
	_, err := s.c.ProxyExecute(context.Background(), "trs_test", req("GET"))
	var e *APIError
	if !errors.As(err, &e) || e.RetryAfter != 3*time.Second || s.hits.Load() != 1 {
		t.Errorf("err = %v after %d attempts; want the 429 at once", err, s.hits.Load())
	}
	// Zero: any named wait is handed back; a bare 429 still gets a backoff retry.
	s = newScripted(t, []step{answer(429, ""), answer(429, "", "Retry-After", "1"), okStep}, WithRetryAfterCap(0))
	_, err = s.c.ProxyExecute(context.Background(), "trs_test", req("GET"))
	if Attempts(err) != 2 || s.hits.Load() != 2 {
		t.Errorf("cap 0: err = %v after %d attempts, want 2", err, s.hits.Load())
	}
}

func TestMaxRetries(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 4} {
		s := newScripted(t, []step{answer(503, "")}, WithMaxRetries(n))
		_, err := s.c.ProxyExecute(context.Background(), "trs_test", req("GET"))
		if got := int(s.hits.Load()); got != n+1 || Attempts(err) != n+1 {
			t.Errorf("WithMaxRetries(%d): %d attempts, Attempts(err) = %d, want %d", n, got, Attempts(err), n+1)
		}
		var ae *AttemptsError
		if n == 0 && errors.As(err, &ae) {
			t.Errorf("WithMaxRetries(0): err %v is wrapped", err)
		}
	}
}

func TestFailureClass(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route to host")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	urlErr := func(err error) error {
		return fmt.Errorf("composio: %w", &url.Error{Op: "Post", URL: "http://x", Err: err})
	}
	tests := []struct {
		err  error
		want failure
	}{
		{&APIError{HTTPStatus: 429}, notSent},
		{&APIError{HTTPStatus: 502}, maybeSent},
		{&APIError{HTTPStatus: 503}, maybeSent},
		{&APIError{HTTPStatus: 504}, maybeSent},
		{&APIError{HTTPStatus: 500}, notRetryable},
		{&APIError{HTTPStatus: 408}, notRetryable},
		{&APIError{HTTPStatus: 409}, notRetryable},
		{urlErr(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), notSent},
		{urlErr(dial), notSent},
		{&TimeoutError{Err: urlErr(dial)}, notSent}, // the dial ran out of time: nothing sent
		{&TimeoutError{Err: context.DeadlineExceeded}, maybeSent},
		{urlErr(read), maybeSent},
		{urlErr(io.EOF), maybeSent},
		{fmt.Errorf("composio: %w", io.ErrUnexpectedEOF), maybeSent},
		{urlErr(errors.New("http: server closed idle connection")), maybeSent},
		{&ResponseTooLargeError{Limit: 1}, notRetryable},
		{context.Canceled, notRetryable},
		{context.DeadlineExceeded, notRetryable}, // the caller's own deadline
		{errors.New("composio: decoding OK response: unexpected end of JSON input"), notRetryable},
	}
	for _, tt := range tests {
		if got := failureClass(tt.err); got != tt.want {
			t.Errorf("failureClass(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c, err := New(WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	c.jitter = func(ceiling time.Duration) time.Duration { return ceiling }
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for n, w := range want {
		if got := c.backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	if got := c.backoff(1000); got != backoffMax {
		t.Errorf("backoff(1000) = %s, want %s", got, backoffMax)
	}
	for range 1000 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("fullJitter(1s) = %s", d)
		}
	}
	if fullJitter(0) != 0 {
		t.Error("fullJitter(0) != 0")
	}
}

func TestRetryOptions(t *testing.T) {
	t.Parallel()
	c, err := New(WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	if c.maxRetries != DefaultMaxRetries || c.retryAfterCap != DefaultRetryAfterCap {
		t.Errorf("defaults = %d, %s", c.maxRetries, c.retryAfterCap)
	}
	if _, err := New(WithAPIKey("k"), WithMaxRetries(-1)); err == nil {
		t.Error("WithMaxRetries(-1): no error")
	}
	if _, err := New(WithAPIKey("k"), WithRetryAfterCap(-time.Second)); err == nil {
		t.Error("WithRetryAfterCap(-1s): no error")
	}
}

func TestAttemptsError(t *testing.T) {
	t.Parallel()
	api := &APIError{HTTPStatus: 503, Slug: "x"}
	to := &TimeoutError{After: time.Second, Err: context.DeadlineExceeded}
	refused := fmt.Errorf("composio: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})
	for _, inner := range []error{api, to, refused} {
		err := withAttempts(inner, 3)
		if got, want := err.Error(), inner.Error()+" (after 3 attempts)"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
		if Attempts(err) != 3 || Attempts(inner) != 1 || errors.Unwrap(err) != inner {
			t.Errorf("Attempts = %d, %d", Attempts(err), Attempts(inner))
		}
		if withAttempts(inner, 1) != inner {
			t.Error("one attempt was wrapped")
		}
	}
	var a *APIError
	var tt *TimeoutError
	if !errors.As(withAttempts(api, 2), &a) || !errors.Is(withAttempts(api, 2), &APIError{Slug: "x"}) ||
		!errors.As(withAttempts(to, 2), &tt) || !errors.Is(withAttempts(to, 2), context.DeadlineExceeded) ||
		!errors.Is(withAttempts(refused, 2), syscall.ECONNREFUSED) {
		t.Error("errors.Is/As do not see through *AttemptsError")
	}
	if Attempts(nil) != 0 || withAttempts(nil, 3) != nil {
		t.Error("nil error")
	}
}

// closedAddr returns an address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRetryConnectionRefused(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		c, err := New(WithAPIKey(testAPIKey), WithBaseURL("http://"+closedAddr(t)))
		if err != nil {
			t.Fatal(err)
		}
		var waits atomic.Int32
		c.sleep = func(ctx context.Context, _ time.Duration) error { waits.Add(1); return nil }
		_, err = c.ProxyExecute(context.Background(), "trs_test", req(method))
		var ae *AttemptsError
		if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &ae) || ae.Attempts != 3 || waits.Load() != 2 {
			t.Errorf("%s: err = %v, %d waits; want ECONNREFUSED after 3 attempts", method, err, waits.Load())
		}
	}
}

// TestRetryConnectionRefusedThenSuccess starts the server on the refused port during
// the first wait, as when Composio's load balancer comes back.
func TestRetryConnectionRefusedThenSuccess(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	c, err := New(WithAPIKey(testAPIKey), WithBaseURL("http://"+addr))
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	c.sleep = func(ctx context.Context, _ time.Duration) error {
		if body != nil {
			return nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("port %s taken meanwhile: %v", addr, err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ = io.ReadAll(r.Body)
			okStep(w, r)
		}))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
		body = []byte{}
		return nil
	}
	resp, err := c.ProxyExecute(context.Background(), "trs_test", req("POST"))
	if err != nil || resp.Attempts != 2 || !bytes.Contains(body, []byte(`"method":"POST"`)) {
		t.Fatalf("resp = %+v, err = %v, body %q; want success on attempt 2", resp, err, body)
	}
}

// TestTimeoutRetries checks that a slow Composio, before or during its answer, fails
// the call on time, for a read as for a write: the timeout covers retries too.
func TestTimeoutRetries(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	for _, tt := range []struct {
		name string
		step step
	}{{"slow headers", blockUntilDone}, {"slow body", slowBody}} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				t.Parallel()
				s := newScripted(t, []step{tt.step}, WithTimeout(timeout))
				start := time.Now()
				_, err := s.c.ProxyExecute(context.Background(), "trs_test", req(method))
				elapsed := time.Since(start)
				// The timeout bounds the whole call, so a timed-out read is not
				// retried either: there is no time left to try again.
				want := 1
				var te *TimeoutError
				if !errors.As(err, &te) || te.After != timeout || Attempts(err) != want || int(s.hits.Load()) != want {
					t.Errorf("err = %v (%T), %d attempts; want *TimeoutError after %d", err, err, s.hits.Load(), want)
				}
				if limit := timeout + time.Second; elapsed > limit {
					t.Errorf("took %s, want under %s", elapsed, limit)
				}
			})
		}
	}
}

// TestCancelStopsRetries checks that a caller who gives up ends the call at once,
// during a wait as well as during an attempt.
func TestCancelStopsRetries(t *testing.T) {
	t.Parallel()
	t.Run("cancelled during the wait", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, []step{answer(503, "")})
		ctx, cancel := context.WithCancel(context.Background())
		s.c.sleep = func(ctx context.Context, _ time.Duration) error {
			cancel()
			return sleepCtx(ctx, time.Hour)
		}
		_, err := s.c.ProxyExecute(ctx, "trs_test", req("GET"))
		if !errors.Is(err, context.Canceled) || s.hits.Load() != 1 {
			t.Errorf("err = %v after %d attempts; want context.Canceled after 1", err, s.hits.Load())
		}
	})
	t.Run("real wait", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, []step{answer(429, "", "Retry-After", "20")})
		s.c.sleep = sleepCtx
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := s.c.ProxyExecute(ctx, "trs_test", req("GET"))
		if !errors.Is(err, context.Canceled) || s.hits.Load() != 1 || time.Since(start) > 2*time.Second {
			t.Errorf("err = %v after %d attempts and %s", err, s.hits.Load(), time.Since(start))
		}
	})
	t.Run("deadline before the retry", func(t *testing.T) {
		t.Parallel()
		s := newScripted(t, []step{answer(429, bare429Body, "Retry-After", "5"), okStep})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := s.c.ProxyExecute(ctx, "trs_test", req("POST"))
		var e *APIError
		if !errors.As(err, &e) || e.RetryAfter != 5*time.Second || s.hits.Load() != 1 || len(s.recordedWaits()) != 0 {
			t.Errorf("err = %v after %d attempts; want the 429 at once", err, s.hits.Load())
		}
	})
}

const bare429Body = `{"message":"Rate limit exceeded"}`

// TestSessionRetries checks that the session calls follow the same policy, with their
// own HTTP method deciding what may be repeated.
func TestSessionRetries(t *testing.T) {
	t.Parallel()
	session := `{"session_id":"trs_test","config":{"user_id":"u"}}`
	ctx := context.Background()

	s := newScripted(t, []step{answer(503, ""), answer(200, session)})
	if got, err := s.c.GetSession(ctx, "trs_test"); err != nil || got.SessionID != "trs_test" || s.hits.Load() != 2 {
		t.Errorf("GetSession after a 503: %v, %v, %d attempts", got, err, s.hits.Load())
	}
	s = newScripted(t, []step{answer(502, ""), answer(200, `{"items":[]}`)})
	if _, err := s.c.ListToolkits(ctx, "trs_test", nil); err != nil || s.hits.Load() != 2 {
		t.Errorf("ListToolkits after a 502: %v, %d attempts", err, s.hits.Load())
	}
	s = newScripted(t, []step{answer(503, ""), answer(201, session)})
	if _, err := s.c.CreateSession(ctx, &CreateSessionRequest{UserID: "u"}); !isStatus(503)(err) || s.hits.Load() != 1 {
		t.Errorf("CreateSession after a 503: %v, %d attempts; want no retry", err, s.hits.Load())
	}
	s = newScripted(t, []step{answer(429, bare429Body), answer(201, session)})
	if _, err := s.c.CreateSession(ctx, &CreateSessionRequest{UserID: "u"}); err != nil || s.hits.Load() != 2 {
		t.Errorf("CreateSession after a 429: %v, %d attempts", err, s.hits.Load())
	}
	s = newScripted(t, []step{answer(504, "")})
	if err := s.c.DeleteSession(ctx, "trs_test"); !isStatus(504)(err) || s.hits.Load() != 1 {
		t.Errorf("DeleteSession after a 504: %v, %d attempts; want no retry", err, s.hits.Load())
	}
}

// TestHugeBodyBounded streams 100 MiB at a client that accepts 1 MiB, and checks that
// the client stops reading instead of swallowing the lot.
func TestHugeBodyBounded(t *testing.T) {
	t.Parallel()
	const total = 100 << 20
	for _, announce := range []bool{false, true} {
		t.Run(fmt.Sprintf("Content-Length announced %v", announce), func(t *testing.T) {
			t.Parallel()
			var written atomic.Int64
			done := make(chan struct{})
			s := newScripted(t, []step{func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				if announce {
					w.Header().Set("Content-Length", fmt.Sprint(total))
				}
				io.WriteString(w, `{"status":200,"data":"`)
				chunk := bytes.Repeat([]byte("x"), 32<<10)
				for written.Load() < total {
					n, err := w.Write(chunk)
					written.Add(int64(n))
					if err != nil {
						return
					}
				}
			}}, WithMaxResponseBytes(1<<20))
			_, err := s.c.ProxyExecute(context.Background(), "trs_test", req("GET"))
			var tl *ResponseTooLargeError
			if !errors.As(err, &tl) || tl.Limit != 1<<20 || s.hits.Load() != 1 {
				t.Fatalf("err = %v after %d attempts, want *ResponseTooLargeError{1 MiB} at once", err, s.hits.Load())
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the server is still writing 5 s after the client gave up")
			}
			// What the server wrote beyond 1 MiB sat in socket buffers, not in our memory.
			t.Logf("server wrote %d KiB of %d MiB", written.Load()>>10, total>>20)
			if w := written.Load(); w > 16<<20 {
				t.Errorf("server wrote %d MiB before the client hung up, want well under 100", w>>20)
			}
		})
	}
}

// TestNoGoroutineLeak cancels 1,000 calls mid-flight, some waiting for headers and
// some in the middle of a body, and checks that every goroutine they started ends.
// It does not run in parallel, so that other tests' goroutines do not blur the count.
func TestNoGoroutineLeak(t *testing.T) {
	const calls, workers = 1000, 50
	baseline := runtime.NumGoroutine()

	var started atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if started.Add(1)%2 == 0 {
			slowBody(w, r)
			return
		}
		blockUntilDone(w, r)
	}))
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	c, err := New(WithAPIKey(testAPIKey), WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}), WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(time.Duration(1+i%10)*time.Millisecond, cancel)
				_, err := c.ProxyExecute(ctx, "trs_test", req("GET"))
				if !errors.Is(err, context.Canceled) && wrong.Add(1) == 1 {
					t.Errorf("call %d: err = %v, want context.Canceled", i, err)
				}
				cancel()
			}
		})
	}
	for i := range calls {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	tr.CloseIdleConnections()
	srv.Close()

	const margin = 5
	var n int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= baseline+margin {
			return
		}
	}
	t.Errorf("%d goroutines after %d cancelled calls, baseline %d", n, calls, baseline)
}
