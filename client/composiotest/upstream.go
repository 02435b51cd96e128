package composiotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Bounds that keep the simulated upstream from being turned against its host.
const (
	maxBytesSize   = 64 << 20
	maxDelay       = 60 * time.Second
	maxCachedSizes = 32
)

// proxyResult is proxy_execute's 200 answer.
type proxyResult struct {
	Data       json.RawMessage    `json:"data,omitempty"`
	BinaryData *client.BinaryData `json:"binary_data,omitempty"`
	Status     int                `json:"status"`
	Headers    map[string]string  `json:"headers"`
}

func jsonHeaders() map[string]string {
	return map[string]string{"content-type": "application/json", "x-upstream": "composiotest"}
}

// upstream simulates the third-party API, keyed on the endpoint's path below the
// toolkit's base path.
func (s *Server) upstream(w http.ResponseWriter, r *http.Request, c proxyCall, target *url.URL) {
	path := endpointPath(c.endpoint, c.toolkit)
	head := c.method == http.MethodHead
	if s.corpus(w, c) {
		return
	}
	rest, arg := splitRoute(path)
	switch rest {
	case "status":
		code, err := strconv.Atoi(arg)
		if err != nil || code < 100 || code > 599 {
			upstreamBadRequest(w, "status must be an HTTP status code")
			return
		}
		res := proxyResult{Status: code, Headers: jsonHeaders()}
		if !head {
			res.Data = mustJSON(map[string]string{
				"message":           http.StatusText(code),
				"documentation_url": "https://docs.github.com/rest",
			})
		}
		writeJSON(w, http.StatusOK, res)
	case "bytes":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > maxBytesSize {
			upstreamBadRequest(w, fmt.Sprintf("size must be from 0 to %d", maxBytesSize))
			return
		}
		writeJSON(w, http.StatusOK, proxyResult{Status: http.StatusOK, Headers: jsonHeaders(), Data: sizedPayload(n)})
	case "delay":
		ms, err := strconv.Atoi(arg)
		if err != nil || ms < 0 {
			upstreamBadRequest(w, "delay must be a number of milliseconds")
			return
		}
		if !sleep(r, min(time.Duration(ms)*time.Millisecond, maxDelay)) {
			return
		}
		s.echo(w, c, target)
	case "download":
		s.download(w, r, arg)
	case "text":
		writeJSON(w, http.StatusOK, proxyResult{
			Status:  http.StatusOK,
			Data:    mustJSON("Hello from composiotest.\nThis upstream answered text/plain, so its body arrives as a JSON string.\n"),
			Headers: map[string]string{"content-type": "text/plain; charset=utf-8", "x-upstream": "composiotest"},
		})
	case "html502":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayPage))
	case "ratelimit":
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-RateLimit", "100")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Window-Size", "60")
		s.writeError(w, apiError{
			HTTP: http.StatusTooManyRequests, Code: 10429, Slug: client.SlugTooManyRequests,
			Message:      "Rate limit exceeded",
			SuggestedFix: "Wait for the time in the Retry-After header, then retry.",
		})
	case "ratelimit-bare":
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{
			"message": "Rate limit exceeded. Limit: 100 requests per 1 minutes",
		})
	default:
		s.echo(w, c, target)
	}
}

// endpointPath is the endpoint's URL path with the toolkit's base path taken off, so
// that "/status/404" routes the same whether given relative or absolute.
func endpointPath(endpoint, toolkit string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	p := "/" + strings.TrimPrefix(u.Path, "/")
	if u.IsAbs() || u.Host != "" {
		info, _ := lookupToolkit(toolkit)
		if b, err := url.Parse(info.BaseURL); err == nil && b.Path != "" && strings.HasPrefix(p, b.Path+"/") {
			p = strings.TrimPrefix(p, b.Path)
		}
	}
	return p
}

// splitRoute splits "/name/arg…" into name and the rest.
func splitRoute(p string) (name, arg string) {
	name, arg, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return name, arg
}

func upstreamBadRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusOK, proxyResult{
		Status:  http.StatusBadRequest,
		Data:    mustJSON(map[string]string{"message": msg}),
		Headers: jsonHeaders(),
	})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// echo answers with what the upstream would have received, keeping only the keys the
// call had, so tests can see exactly what Composio was asked to send.
func (s *Server) echo(w http.ResponseWriter, c proxyCall, target *url.URL) {
	status := http.StatusOK
	if c.method == http.MethodPost {
		status = http.StatusCreated
	}
	res := proxyResult{Status: status, Headers: jsonHeaders()}
	if c.method == http.MethodHead {
		writeJSON(w, http.StatusOK, res)
		return
	}
	data := map[string]any{"toolkit": c.toolkit, "method": c.method, "endpoint": c.endpoint}
	query := map[string]string{}
	for k, v := range target.Query() {
		query[k] = strings.Join(v, ",")
	}
	headers := map[string]string{}
	for _, p := range c.params {
		if p.Type == "query" {
			query[p.Name] = p.Value
		} else {
			headers[p.Name] = p.Value
		}
	}
	if len(query) > 0 {
		data["query"] = query
	}
	if len(headers) > 0 {
		data["headers"] = headers
	}
	if c.body != nil {
		data["body"] = c.body
	}
	if b := c.binary; b != nil {
		bb := map[string]any{}
		if b.ContentType != "" {
			bb["content_type"] = b.ContentType
		}
		if b.URL != "" {
			bb["url"] = b.URL
		} else {
			bb["bytes"] = c.binaryBytes
		}
		data["binary_body"] = bb
	}
	res.Data = mustJSON(data)
	writeJSON(w, http.StatusOK, res)
}

// Payloads for /bytes/{n} are built once per size: benchmarks ask for the same few
// sizes over and over. Only the first few sizes are kept, to bound memory.
var (
	sizedCache      sync.Map // int → json.RawMessage
	sizedCacheCount atomic.Int32
)

// sizedPayload returns {"size":n,"payload":"…"} of about n bytes once encoded.
func sizedPayload(n int) json.RawMessage {
	if v, ok := sizedCache.Load(n); ok {
		return v.(json.RawMessage)
	}
	head := `{"size":` + strconv.Itoa(n) + `,"payload":"`
	const tail = `"}`
	filler := max(n-len(head)-len(tail), 0)
	const pattern = "composiotest payload 0123456789 abcdefghijklmnopqrstuvwxyz "
	var b strings.Builder
	b.Grow(len(head) + filler + len(tail))
	b.WriteString(head)
	for b.Len() < len(head)+filler {
		b.WriteString(pattern[:min(len(pattern), len(head)+filler-b.Len())])
	}
	b.WriteString(tail)
	out := json.RawMessage(b.String())
	if sizedCacheCount.Add(1) <= maxCachedSizes {
		sizedCache.Store(n, out)
	}
	return out
}

// download answers like Composio for a binary upstream body: data {} and a signed,
// expiring URL, here served by the fake itself at /files/{name}.
func (s *Server) download(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" || strings.Contains(name, "/") {
		upstreamBadRequest(w, "download needs a file name")
		return
	}
	content, ctype := fileContent(name)
	writeJSON(w, http.StatusOK, proxyResult{
		Status: http.StatusOK,
		Data:   json.RawMessage(`{}`),
		BinaryData: &client.BinaryData{
			URL:         s.baseURL(r) + "/files/" + url.PathEscape(name) + "?sig=" + s.sign(name),
			ContentType: ctype,
			Size:        int64(len(content)),
			ExpiresAt:   time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		},
		Headers: map[string]string{"content-type": ctype, "content-length": strconv.Itoa(len(content)), "x-upstream": "composiotest"},
	})
}

// sign is the download URL's signature, so that /files serves only what a proxy call
// handed out, as a signed storage URL would.
func (s *Server) sign(name string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// handleFile serves GET /files/{name}?sig=…, the download URLs from /download/{name}.
// Like a signed storage URL, it needs no API key.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !hmac.Equal([]byte(r.URL.Query().Get("sig")), []byte(s.sign(name))) {
		http.Error(w, "invalid or missing signature", http.StatusForbidden)
		return
	}
	content, ctype := fileContent(name)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(content)
}
