package composiotest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Credentials and ids of the fake's default state.
const (
	// APIKey is the project API key the fake accepts unless WithAPIKey changes it.
	APIKey = "ak_sandbox_0000000000"
	// UserAPIKey is the user API key the fake accepts unless WithUserAPIKey changes it.
	UserAPIKey = "uak_sandbox_0000000000"
	// SessionID is the session that exists from the start, for UserID.
	SessionID = "trs_sandbox"
	// UserID owns SessionID and has github and gmail connected (slack is not).
	UserID = "sandbox_user"
)

// Limits the fake enforces, as Composio does.
const (
	// MaxBase64Bytes is the largest decoded binary_body.base64 upload: 4 MB.
	MaxBase64Bytes = 4 * 1024 * 1024
	// MaxRequestBytes is the largest request body; longer ones get HTTP 413.
	MaxRequestBytes = 8 << 20
)

// defaultMaxRecorded is how many requests Requests remembers unless WithMaxRecorded says
// otherwise: plenty for a test, bounded for a long-running sandbox.
const defaultMaxRecorded = 1000

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the project API key the fake accepts, e.g. a distinctive secret that a
// test then looks for in logs and errors.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithUserAPIKey sets the user API key the fake accepts.
func WithUserAPIKey(key string) Option { return func(s *Server) { s.userAPIKey = key } }

// WithLatency delays every proxy_execute call by d, like a slow network or upstream.
// The delay ends early when the client goes away.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithMaxRecorded sets how many of the latest requests Requests keeps (default 1000);
// zero turns recording off, which suits a long-running sandbox.
func WithMaxRecorded(n int) Option { return func(s *Server) { s.maxRecorded = max(n, 0) } }

// Request is a request the fake received, as Requests reports it.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	// Body is the request body, at most MaxRequestBytes+1 bytes of it.
	Body []byte
}

// Server is a fake Composio backend: the tool-router session API and proxy_execute,
// with a simulated upstream (see the package documentation). It is an http.Handler;
// NewServer and Start also serve it on a loopback port. All methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of a started server, e.g. http://127.0.0.1:38123, to give to
	// client.WithBaseURL. It is empty for a Server from NewHandler, which then builds its
	// own links from each request's Host.
	URL string

	apiKey      string
	userAPIKey  string
	latency     time.Duration
	maxRecorded int
	secret      []byte // signs download URLs
	mux         *http.ServeMux
	reqSeq      atomic.Uint64
	srv         *http.Server

	mu        sync.Mutex
	sessions  map[string]*session
	conns     map[string]map[string]*account // user id → toolkit slug → account
	links     map[string]*link               // link token → link
	requests  []Request
	proxyReqs []client.ProxyRequest
	// proxyAccounts is the connected account id each proxied call used.
	proxyAccounts []string
	lastCreation  *SessionCreation
	extraAccounts map[string]*extraAccount // account id → an account added by AddAccount
	notFoundStyle NotFoundStyle
}

// NewHandler returns a Server that is not listening: mount it on any HTTP server.
func NewHandler(opts ...Option) *Server {
	s := &Server{
		apiKey:      APIKey,
		userAPIKey:  UserAPIKey,
		maxRecorded: defaultMaxRecorded,
		secret:      make([]byte, 32),
	}
	_, _ = rand.Read(s.secret)
	for _, opt := range opts {
		opt(s)
	}
	s.resetState()
	s.routes()
	return s
}

// Start returns a Server listening on a random loopback port, with URL set.
func Start(opts ...Option) (*Server, error) {
	s := NewHandler(opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("composiotest: listen: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// NewServer is Start for tests and examples: like httptest.NewServer it panics when it
// cannot listen. Call Close when done.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Close stops a started server and closes its connections; a handler-only Server has
// nothing to close.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// Client returns a client for this server authenticated with its project API key; opts
// are applied after those two, so they may override either.
func (s *Server) Client(opts ...client.Option) (*client.Client, error) {
	if s.URL == "" {
		return nil, fmt.Errorf("composiotest: server not started")
	}
	base := []client.Option{client.WithBaseURL(s.URL), client.WithAPIKey(s.apiKey)}
	return client.New(append(base, opts...)...)
}

// ServeHTTP implements http.Handler: it records the request, gives it a request id
// and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", "req_"+strconv.FormatUint(s.reqSeq.Add(1), 10))
	var body []byte
	if r.Body != nil {
		// Sized up front when the length is known, so a large upload is not copied
		// over and over as the buffer grows.
		buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), MaxRequestBytes)+1))
		_, _ = buf.ReadFrom(io.LimitReader(r.Body, MaxRequestBytes+1))
		body = buf.Bytes()
	}
	s.record(r, body)
	if len(body) > MaxRequestBytes {
		s.writeError(w, apiError{
			HTTP: http.StatusRequestEntityTooLarge, Code: 10413, Slug: "HTTP_PayloadTooLarge",
			Message:      fmt.Sprintf("Request body is larger than %d bytes", MaxRequestBytes),
			SuggestedFix: "Send a smaller body; upload large files by URL (binary_body.url).",
		})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(w, r)
}

func (s *Server) record(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxRecorded == 0 {
		return
	}
	if len(s.requests) >= s.maxRecorded {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-s.maxRecorded+1:]...)
	}
	s.requests = append(s.requests, Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     bytes.Clone(body),
	})
}

// Requests returns a copy of the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ProxyRequests returns the decoded bodies of the authenticated proxy_execute calls
// received so far (valid or not, as long as they were JSON objects), oldest first.
func (s *Server) ProxyRequests() []client.ProxyRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]client.ProxyRequest(nil), s.proxyReqs...)
}

// ProxyAccounts returns the connected account id that each proxied call reached the
// third-party API with, oldest first: the pinned one when the session pins one.
func (s *Server) ProxyAccounts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.proxyAccounts)
}

// SessionCreation is a session-creation request as the fake received it.
type SessionCreation struct {
	// Version is the API version of its path, "v3" or "v3.1".
	Version string
	// Body is the request body as sent.
	Body []byte
}

// LastSessionCreation returns the latest session-creation request, valid or not,
// and false when there has been none since the start or the last Reset.
func (s *Server) LastSessionCreation() (SessionCreation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastCreation == nil {
		return SessionCreation{}, false
	}
	return SessionCreation{Version: s.lastCreation.Version, Body: bytes.Clone(s.lastCreation.Body)}, true
}

// Reset forgets recorded requests and restores the default sessions and connections.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetState()
}

// checkAuth answers 401 unless the request carries exactly one known key, as Composio
// does; its messages never repeat the key that was sent.
func (s *Server) checkAuth(w http.ResponseWriter, r *http.Request) bool {
	ak, uk := r.Header.Get("X-Api-Key"), r.Header.Get("X-User-Api-Key")
	e := apiError{HTTP: http.StatusUnauthorized, Code: 10401, Slug: client.SlugUnauthorized}
	switch {
	case ak != "" && uk != "":
		e.Message = "Multiple authentication modes were provided"
		e.SuggestedFix = "Send either x-api-key or x-user-api-key, not both."
	case ak == "" && uk == "":
		e.Message = "Missing authentication: no API key was provided"
		e.SuggestedFix = "Send your project API key in the x-api-key header."
	case ak != "" && !equal(ak, s.apiKey), uk != "" && !equal(uk, s.userAPIKey):
		e.Message = "Invalid API key"
		e.SuggestedFix = "Check the API key in your Composio dashboard."
	default:
		return true
	}
	s.writeError(w, e)
	return false
}

func equal(a, b string) bool {
	return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// baseURL is the URL the fake's own links point at.
func (s *Server) baseURL(r *http.Request) string {
	if s.URL != "" {
		return s.URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomID returns prefix followed by n random letters and digits.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return prefix + string(b)
}
