package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// baseURLPath is a non-empty base path, so every test also checks that requests
	// resolve under the base URL rather than at the host's root.
	baseURLPath = "/composio-base"
	testAPIKey  = "ak_test_SECRET_aaaa"
	testUserKey = "uak_test_SECRET_bbbb"
)

// setup starts a test server and returns a client pointed at it and the mux to register
// handlers on, go-github style. Paths on mux are relative to the base path.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle(baseURLPath+"/", http.StripPrefix(baseURLPath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL)
		http.Error(w, "outside the base path", http.StatusBadRequest)
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := New(append([]Option{WithBaseURL(srv.URL + baseURLPath), WithAPIKey(testAPIKey)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	noWait(c)
	return c, mux
}

// noWait makes c's retries immediate, so that tests which meet a retryable failure
// in passing do not sleep through real backoffs.
func noWait(c *Client) {
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
}

const proxyPath = "/api/v3/tool_router/session/trs_test/proxy_execute"

func getReq() *ProxyRequest {
	return &ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []Option
		wantErr string
	}{
		{"no key", nil, "no API key"},
		{"empty keys", []Option{WithAPIKey(""), WithUserAPIKey("")}, "no API key"},
		{"relative base", []Option{WithAPIKey("k"), WithBaseURL("/api")}, "absolute http or https"},
		{"ftp base", []Option{WithAPIKey("k"), WithBaseURL("ftp://example.com")}, "absolute http or https"},
		{"bad base", []Option{WithAPIKey("k"), WithBaseURL("http://[::1")}, "base URL"},
		{"nil http client", []Option{WithAPIKey("k"), WithHTTPClient(nil)}, "nil HTTP client"},
		{"negative timeout", []Option{WithAPIKey("k"), WithTimeout(-time.Second)}, "negative timeout"},
		{"zero max bytes", []Option{WithAPIKey("k"), WithMaxResponseBytes(0)}, "must be positive"},
		{"api key", []Option{WithAPIKey("k")}, ""},
		{"user key", []Option{WithUserAPIKey("k")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New = %v, %v; want a client", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(WithAPIKey(testAPIKey))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.BaseURL(), DefaultBaseURL+"/"; got != want {
		t.Errorf("BaseURL = %q, want %q", got, want)
	}
	if c.userAgent != DefaultUserAgent || c.timeout != DefaultTimeout || c.maxResponseBytes != DefaultMaxResponseBytes {
		t.Errorf("defaults = %q, %s, %d", c.userAgent, c.timeout, c.maxResponseBytes)
	}
	c2, _ := New(WithUserAPIKey(testUserKey))
	tr, ok := c.httpClient.Transport.(*http.Transport)
	if !ok || c2.httpClient.Transport != c.httpClient.Transport {
		t.Fatalf("clients do not share one *http.Transport")
	}
	if tr.MaxIdleConns != 256 || tr.MaxIdleConnsPerHost != 128 || tr.IdleConnTimeout != 90*time.Second || !tr.ForceAttemptHTTP2 {
		t.Errorf("transport = %d, %d, %s, %v", tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout, tr.ForceAttemptHTTP2)
	}
	if tr == http.DefaultTransport {
		t.Error("shared transport is http.DefaultTransport itself, not a clone")
	}
	for _, s := range []string{c.String(), c2.String(), c.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("String() leaks the key: %s", s)
		}
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://backend.composio.dev", "https://backend.composio.dev/"},
		{"https://backend.composio.dev/", "https://backend.composio.dev/"},
		{"http://127.0.0.1:8080/prefix", "http://127.0.0.1:8080/prefix/"},
		{"http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix/"},
		{"http://host/prefix?x=1#frag", "http://host/prefix/"},
	}
	for _, tt := range tests {
		c, err := New(WithAPIKey("k"), WithBaseURL(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := c.BaseURL(); got != tt.want {
			t.Errorf("BaseURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		u, _ := c.baseURL.Parse("api/v3/tool_router/session/a%2Fb/proxy_execute")
		if want := strings.TrimSuffix(tt.want, "/") + "/api/v3/tool_router/session/a%2Fb/proxy_execute"; u.String() != want {
			t.Errorf("resolved = %q, want %q", u, want)
		}
	}
}

func TestProxyExecuteRequest(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithUserAgent("test-agent/1"))
	mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s", r.Method)
		}
		for h, want := range map[string]string{
			"X-Api-Key": testAPIKey, "Content-Type": "application/json",
			"Accept": "application/json", "User-Agent": "test-agent/1", "X-User-Api-Key": "",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("header %s = %q, want %q", h, got, want)
			}
		}
		w.Write([]byte(`{"data":{},"status":200}`))
	})
	if _, err := c.ProxyExecute(context.Background(), "trs_test", getReq()); err != nil {
		t.Fatal(err)
	}
}

func TestProxyExecuteAuthHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		opts              []Option
		wantKey, wantUser string
	}{
		{"project key", []Option{WithAPIKey(testAPIKey)}, testAPIKey, ""},
		{"user key", []Option{WithAPIKey(""), WithUserAPIKey(testUserKey)}, "", testUserKey},
		{"both: project key wins", []Option{WithAPIKey(testAPIKey), WithUserAPIKey(testUserKey)}, testAPIKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, tt.opts...)
			mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Values("X-Api-Key"); strings.Join(got, ",") != tt.wantKey {
					t.Errorf("x-api-key = %q, want %q", got, tt.wantKey)
				}
				if got := r.Header.Values("X-User-Api-Key"); strings.Join(got, ",") != tt.wantUser {
					t.Errorf("x-user-api-key = %q, want %q", got, tt.wantUser)
				}
				w.Write([]byte(`{"status":200}`))
			})
			if _, err := c.ProxyExecute(context.Background(), "trs_test", getReq()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestProxyExecuteBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  ProxyRequest
		want string
	}{
		{"minimal", *getReq(), `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`},
		{"explicit null body", ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "POST", Body: json.RawMessage("null")},
			`{"toolkit_slug":"github","endpoint":"/x","method":"POST","body":null}`},
		{"object body and parameters", ProxyRequest{
			ToolkitSlug: "gmail", Endpoint: "/m", Method: "POST", Body: json.RawMessage(`{ "a": [1, 2] }`),
			Parameters: []Parameter{{Name: "X-Trace", Value: "1", Type: "header"}, {Name: "q", Value: "", Type: "query"}},
		}, `{"toolkit_slug":"gmail","endpoint":"/m","method":"POST","body":{"a":[1,2]},"parameters":[{"name":"X-Trace","value":"1","type":"header"},{"name":"q","value":"","type":"query"}]}`},
		{"binary body", ProxyRequest{ToolkitSlug: "github", Endpoint: "/u", Method: "PUT", BinaryBody: &BinaryBody{Base64: "aGk=", ContentType: "text/plain"}},
			`{"toolkit_slug":"github","endpoint":"/u","method":"PUT","binary_body":{"base64":"aGk=","content_type":"text/plain"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if string(b) != tt.want {
					t.Errorf("body =\n%s\nwant\n%s", b, tt.want)
				}
				w.Write([]byte(`{"status":200}`))
			})
			if _, err := c.ProxyExecute(context.Background(), "trs_test", &tt.req); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestProxyExecuteResponse(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_42")
		w.Write([]byte(`{"data":{"message":"Not Found","documentation_url":"https://docs.github.com/rest"},
			"status":404,"headers":{"content-type":"application/json","x-ratelimit-remaining":4999,"set-cookie":["a=1","b=2"],"x-null":null}}`))
	})
	got, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
	if err != nil {
		t.Fatalf("an upstream 404 must not be an error, got %v", err)
	}
	if got.Status != 404 || got.HTTPStatus != 200 || got.RequestID != "req_42" {
		t.Errorf("Status, HTTPStatus, RequestID = %d, %d, %q", got.Status, got.HTTPStatus, got.RequestID)
	}
	wantHeaders := Headers{"content-type": "application/json", "x-ratelimit-remaining": "4999", "set-cookie": "a=1, b=2", "x-null": ""}
	if !reflect.DeepEqual(got.Headers, wantHeaders) {
		t.Errorf("Headers = %v, want %v", got.Headers, wantHeaders)
	}
	var data map[string]string
	if err := json.Unmarshal(got.Data, &data); err != nil || data["message"] != "Not Found" {
		t.Errorf("Data = %s (%v)", got.Data, err)
	}
}

func TestProxyExecuteErrors(t *testing.T) {
	t.Parallel()
	html := "<html><body>" + strings.Repeat("Bad gateway — réessayez. ", 200) + "</body></html>"
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   APIError
	}{
		{
			name: "envelope, numeric code", status: 400,
			body: `{"error":{"message":"No active connection found for toolkit(s) 'gmail' in this session","code":4302,
				"slug":"ToolRouterV2_NoActiveConnection","status":400,"request_id":"req_1","suggested_fix":"Connect gmail.",
				"errors":["toolkit: not connected",{"path":["toolkit"],"message":"x"}]}}`,
			want: APIError{HTTPStatus: 400, Message: "No active connection found for toolkit(s) 'gmail' in this session", Code: "4302",
				Slug: SlugNoActiveConnection, RequestID: "req_1", SuggestedFix: "Connect gmail.",
				Errors: []string{"toolkit: not connected", `{"path":["toolkit"],"message":"x"}`}},
		},
		{
			name: "envelope, string code becomes the slug", status: 400,
			body: `{"error":{"code":"OriginMismatch","message":"origin mismatch"}}`,
			want: APIError{HTTPStatus: 400, Message: "origin mismatch", Code: "OriginMismatch", Slug: SlugOriginMismatch, RequestID: "req_h"},
		},
		{
			name: "session not found", status: 404,
			body: `{"error":{"message":"Tool router session with ID trs_x not found","slug":"ToolRouterV2_SessionNotFound","status":404}}`,
			want: APIError{HTTPStatus: 404, Message: "Tool router session with ID trs_x not found", Slug: SlugSessionNotFound, RequestID: "req_h"},
		},
		{
			name: "bare message 429, Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "2"},
			body: `{"message":"Rate limit exceeded. Limit: 100 requests per 1 minutes"}`,
			want: APIError{HTTPStatus: 429, Message: "Rate limit exceeded. Limit: 100 requests per 1 minutes", Slug: SlugTooManyRequests,
				RetryAfter: 2 * time.Second, RequestID: "req_h"},
		},
		{
			name: "429 retry-after-ms wins", status: 429, header: map[string]string{"Retry-After": "9", "Retry-After-Ms": "1500"},
			body: `{"error":{"message":"slow down","code":10429,"slug":"HTTP_TooManyRequests"}}`,
			want: APIError{HTTPStatus: 429, Message: "slow down", Code: "10429", Slug: SlugTooManyRequests, RetryAfter: 1500 * time.Millisecond, RequestID: "req_h"},
		},
		{
			name: "error string", status: 401, body: `{"error":"Unauthorized"}`,
			want: APIError{HTTPStatus: 401, Message: "Unauthorized", RequestID: "req_h"},
		},
		{
			name: "html 502", status: 502, header: map[string]string{"Content-Type": "text/html"}, body: "\n  " + html,
			want: APIError{HTTPStatus: 502, Body: truncateUTF8(html, 1024), RequestID: "req_h"},
		},
		{
			name: "empty 500", status: 500,
			want: APIError{HTTPStatus: 500, RequestID: "req_h"},
		},
		{
			name: "unknown JSON", status: 503, body: `{"foo":1}`,
			want: APIError{HTTPStatus: 503, Body: `{"foo":1}`, RequestID: "req_h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "req_h")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
			var got *APIError
			if !errors.As(err, &got) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("APIError =\n%#v\nwant\n%#v", *got, tt.want)
			}
			if len(got.Body) > 1024 {
				t.Errorf("Body is %d bytes, want ≤ 1024", len(got.Body))
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the key: %v", err)
			}
			if tt.want.Slug != "" && !errors.Is(err, &APIError{Slug: tt.want.Slug}) {
				t.Errorf("errors.Is(err, APIError{Slug: %s}) = false", tt.want.Slug)
			}
		})
	}
}

func TestCheckResponseSuccess(t *testing.T) {
	t.Parallel()
	for _, code := range []int{200, 201, 204, 299} {
		if err := CheckResponse(&http.Response{StatusCode: code}); err != nil {
			t.Errorf("CheckResponse(%d) = %v", code, err)
		}
	}
	err := CheckResponse(&http.Response{StatusCode: 404, Header: http.Header{}})
	if e, ok := err.(*APIError); !ok || e.HTTPStatus != 404 {
		t.Errorf("CheckResponse(404, no body) = %#v", err)
	}
}

func TestTruncateUTF8(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("a", 1023) + "é" // é is 2 bytes, straddling byte 1024
	if got := truncateUTF8(s, 1024); got != strings.Repeat("a", 1023) {
		t.Errorf("truncateUTF8 cut inside a rune: %q", got[len(got)-3:])
	}
	if got := truncateUTF8("short", 1024); got != "short" {
		t.Errorf("truncateUTF8(short) = %q", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"fractional seconds", http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{"http date", http.Header{"Retry-After": {now.Add(7 * time.Second).Format(http.TimeFormat)}}, 7 * time.Second},
		{"past date", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"ms", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"ms wins", http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"5"}}, 250 * time.Millisecond},
		{"bad ms falls back", http.Header{"Retry-After-Ms": {"soon"}, "Retry-After": {"5"}}, 5 * time.Second},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"negative", http.Header{"Retry-After": {"-4"}}, 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.h, now); got != tt.want {
			t.Errorf("%s: ParseRetryAfter = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestProxyExecuteTooLarge(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithMaxResponseBytes(100))
	mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":200,"data":"` + strings.Repeat("x", 200) + `"}`))
	})
	_, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
	var tl *ResponseTooLargeError
	if !errors.As(err, &tl) || tl.Limit != 100 {
		t.Fatalf("err = %v, want *ResponseTooLargeError{100}", err)
	}
}

// blockUntilDone answers only when the request's context ends.
func blockUntilDone(w http.ResponseWriter, r *http.Request) {
	// The server notices a client hang-up only once the body is consumed.
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func TestProxyExecuteClientTimeout(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithTimeout(50*time.Millisecond))
	mux.HandleFunc(proxyPath, blockUntilDone)
	_, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
	var te *TimeoutError
	if !errors.As(err, &te) || te.After != 50*time.Millisecond {
		t.Fatalf("err = %v (%T), want *TimeoutError", err, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
	}
}

func TestProxyExecuteTimeoutDuringBody(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithTimeout(100*time.Millisecond))
	mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":200,"data":"`))
		w.(http.Flusher).Flush()
		blockUntilDone(w, r)
	})
	_, err := c.ProxyExecute(context.Background(), "trs_test", getReq())
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *TimeoutError", err, err)
	}
}

func TestProxyExecuteCallerContext(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithTimeout(5*time.Second))
	mux.HandleFunc(proxyPath, blockUntilDone)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	if _, err := c.ProxyExecute(ctx, "trs_test", getReq()); err != context.Canceled {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	_, err := c.ProxyExecute(ctx, "trs_test", getReq())
	var te *TimeoutError
	if err != context.DeadlineExceeded || errors.As(err, &te) {
		t.Errorf("caller deadline: err = %v, want context.DeadlineExceeded and no *TimeoutError", err)
	}
}

func TestProxyExecuteConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(WithAPIKey(testAPIKey), WithBaseURL("http://"+addr))
	if err != nil {
		t.Fatal(err)
	}
	noWait(c)
	_, err = c.ProxyExecute(context.Background(), "trs_test", getReq())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want ECONNREFUSED", err)
	}
	if !strings.HasPrefix(err.Error(), "composio: ") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("err = %q", err)
	}
}

func TestProxyExecuteBadJSON(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc(proxyPath, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":`)) })
	if _, err := c.ProxyExecute(context.Background(), "trs_test", getReq()); err == nil || !strings.Contains(err.Error(), "decoding") {
		t.Errorf("err = %v, want a decoding error", err)
	}
}

func TestProxyExecuteSessionID(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("/api/v3/tool_router/session/{id}/proxy_execute", func(w http.ResponseWriter, r *http.Request) {
		if got := r.PathValue("id"); got != "a/b c" {
			t.Errorf("session id = %q", got)
		}
		if !strings.Contains(r.URL.EscapedPath(), "/a%2Fb%20c/") {
			t.Errorf("escaped path = %q", r.URL.EscapedPath())
		}
		w.Write([]byte(`{"status":200}`))
	})
	if _, err := c.ProxyExecute(context.Background(), "a/b c", getReq()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", ".", ".."} {
		if _, err := c.ProxyExecute(context.Background(), id, getReq()); err == nil {
			t.Errorf("session id %q: no error", id)
		}
	}
	if _, err := c.ProxyExecute(context.Background(), "trs_test", nil); err == nil {
		t.Error("nil request: no error")
	}
}

// TestConcurrentCallsReuseConnections checks that the shared transport keeps enough
// idle connections for 64 concurrent calls: a second wave opens no new connection.
func TestConcurrentCallsReuseConnections(t *testing.T) {
	const n = 64
	var newConns atomic.Int32
	var mu sync.Mutex
	arrived, release := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hold every call until all n are in flight, so a wave really needs n connections.
		mu.Lock()
		arrived++
		if arrived%n == 0 {
			close(release)
			release = make(chan struct{})
		}
		ch := release
		if arrived%n == 0 {
			ch = nil
		}
		mu.Unlock()
		if ch != nil {
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
			}
		}
		w.Write([]byte(`{"status":200}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(WithAPIKey(testAPIKey), WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	wave := func() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := c.ProxyExecute(context.Background(), "trs_test", getReq()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	wave()
	first := newConns.Load()
	// The transport returns a connection to its pool just after the body is closed;
	// give the last ones that moment.
	time.Sleep(100 * time.Millisecond)
	wave()
	if again := newConns.Load() - first; again != 0 {
		t.Errorf("second wave opened %d new connections (first opened %d), want 0", again, first)
	}
}
