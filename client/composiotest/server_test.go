package composiotest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// newServer starts a fake and a client for it.
func newServer(t *testing.T, opts ...composiotest.Option) (*composiotest.Server, *client.Client) {
	t.Helper()
	srv := composiotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func proxy(t *testing.T, c *client.Client, req client.ProxyRequest) (*client.ProxyResponse, error) {
	t.Helper()
	return c.ProxyExecute(context.Background(), composiotest.SessionID, &req)
}

func get(toolkit, endpoint string) client.ProxyRequest {
	return client.ProxyRequest{ToolkitSlug: toolkit, Endpoint: endpoint, Method: "GET"}
}

// apiErr asserts that err is an *APIError and returns it.
func apiErr(t *testing.T, err error) *client.APIError {
	t.Helper()
	var e *client.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *client.APIError", err, err)
	}
	return e
}

// raw sends a request with exactly the given headers and body.
func raw(t *testing.T, method, url string, header map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeData(t *testing.T, r *client.ProxyResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Data, &m); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	return m
}

func TestAuth(t *testing.T) {
	t.Parallel()
	const secret = "ak_LEAKCHECK_123456"
	srv, _ := newServer(t, composiotest.WithAPIKey(secret))
	url := srv.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/proxy_execute"
	body := `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`
	tests := []struct {
		name    string
		header  map[string]string
		status  int
		message string
	}{
		{"no key", nil, 401, "no API key"},
		{"both keys", map[string]string{"x-api-key": secret, "x-user-api-key": composiotest.UserAPIKey}, 401, "Multiple authentication modes were provided"},
		{"wrong key", map[string]string{"x-api-key": "ak_wrong"}, 401, "Invalid API key"},
		{"default key replaced", map[string]string{"x-api-key": composiotest.APIKey}, 401, "Invalid API key"},
		{"wrong user key", map[string]string{"x-user-api-key": "uak_wrong"}, 401, "Invalid API key"},
		{"project key", map[string]string{"x-api-key": secret}, 200, ""},
		{"user key", map[string]string{"x-user-api-key": composiotest.UserAPIKey}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := raw(t, "POST", url, tt.header, body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 200 {
				return
			}
			e := apiErr(t, client.CheckResponse(resp))
			if e.Slug != client.SlugUnauthorized || e.Code != "10401" || !strings.Contains(e.Message, tt.message) ||
				!strings.HasPrefix(e.RequestID, "req_") || e.SuggestedFix == "" {
				t.Errorf("error = %+v", e)
			}
			if strings.Contains(e.Error(), "LEAKCHECK") {
				t.Errorf("error leaks the key: %v", e)
			}
		})
	}
	// Through the client: a wrong key is an *APIError that does not carry the key.
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithAPIKey("ak_WRONG_LEAKCHECK"))
	_, err := proxy(t, c, get("github", "/user"))
	if e := apiErr(t, err); e.HTTPStatus != 401 || strings.Contains(err.Error(), "LEAKCHECK") {
		t.Errorf("err = %v", err)
	}
}

func TestUpstreamStatus(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	for _, endpoint := range []string{"/status/404", "status/404", "https://api.github.com/status/404"} {
		r, err := proxy(t, c, get("github", endpoint))
		if err != nil {
			t.Fatalf("%s: an upstream 404 must not be an error: %v", endpoint, err)
		}
		if r.Status != 404 || r.HTTPStatus != 200 || !strings.HasPrefix(r.RequestID, "req_") {
			t.Errorf("%s: Status %d HTTPStatus %d RequestID %q", endpoint, r.Status, r.HTTPStatus, r.RequestID)
		}
		if d := decodeData(t, r); d["message"] != "Not Found" || d["documentation_url"] == nil {
			t.Errorf("%s: data = %v", endpoint, d)
		}
	}
	r, err := proxy(t, c, client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/status/503", Method: "HEAD"})
	if err != nil || r.Status != 503 || len(r.Data) != 0 {
		t.Errorf("HEAD /status/503 = %+v, %v", r, err)
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	tests := []struct {
		name       string
		req        client.ProxyRequest
		wantStatus int
		wantData   string
	}{
		{"get, absent fields stay absent", get("github", "/user"), 200,
			`{"endpoint":"/user","method":"GET","toolkit":"github"}`},
		{"post with null body", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/repos", Method: "POST", Body: json.RawMessage("null")}, 201,
			`{"body":null,"endpoint":"/repos","method":"POST","toolkit":"github"}`},
		{"query and headers", client.ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/gmail/v1/users/me/threads?maxResults=5", Method: "GET",
			Parameters: []client.Parameter{{Name: "q", Value: "is:unread", Type: "query"}, {Name: "X-Trace", Value: "t1", Type: "header"}}}, 200,
			`{"endpoint":"/gmail/v1/users/me/threads?maxResults=5","headers":{"X-Trace":"t1"},"method":"GET","query":{"maxResults":"5","q":"is:unread"},"toolkit":"gmail"}`},
		{"patch with body", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "PATCH", Body: json.RawMessage(`{"bio":"hi"}`)}, 200,
			`{"body":{"bio":"hi"},"endpoint":"/user","method":"PATCH","toolkit":"github"}`},
		{"base64 upload", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/upload", Method: "PUT",
			BinaryBody: &client.BinaryBody{Base64: base64.StdEncoding.EncodeToString([]byte("hello")), ContentType: "text/plain"}}, 200,
			`{"binary_body":{"bytes":5,"content_type":"text/plain"},"endpoint":"/upload","method":"PUT","toolkit":"github"}`},
		{"url upload", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/upload", Method: "PUT",
			BinaryBody: &client.BinaryBody{URL: "https://example.com/f.png"}}, 200,
			`{"binary_body":{"url":"https://example.com/f.png"},"endpoint":"/upload","method":"PUT","toolkit":"github"}`},
		{"gmail on www.googleapis.com", get("gmail", "https://www.googleapis.com/gmail/v1/users/me/profile"), 200,
			`{"endpoint":"https://www.googleapis.com/gmail/v1/users/me/profile","method":"GET","toolkit":"gmail"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := proxy(t, c, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			json.Unmarshal(r.Data, &got)
			json.Unmarshal([]byte(tt.wantData), &want)
			if r.Status != tt.wantStatus || !reflect.DeepEqual(got, want) {
				t.Errorf("status %d data %s\nwant %d %s", r.Status, r.Data, tt.wantStatus, tt.wantData)
			}
			if r.Headers["x-upstream"] != "composiotest" || r.Headers["content-type"] != "application/json" {
				t.Errorf("headers = %v", r.Headers)
			}
		})
	}
	r, err := proxy(t, c, client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "HEAD"})
	if err != nil || r.Status != 200 || len(r.Data) != 0 {
		t.Errorf("HEAD = %+v, %v", r, err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	tests := []struct {
		name    string
		req     client.ProxyRequest
		wantErr string
	}{
		{"missing toolkit", client.ProxyRequest{Endpoint: "/x", Method: "GET"}, "toolkit_slug"},
		{"missing endpoint", client.ProxyRequest{ToolkitSlug: "github", Method: "GET"}, "endpoint"},
		{"missing method", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x"}, "method"},
		{"bad method", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "FETCH"}, "received 'FETCH'"},
		{"lower-case method", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "get"}, "method"},
		{"parameter type", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "GET",
			Parameters: []client.Parameter{{Name: "a", Value: "b", Type: "path"}}}, "parameters[0].type"},
		{"parameter name", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "GET",
			Parameters: []client.Parameter{{Value: "b", Type: "query"}}}, "parameters[0].name"},
		{"binary both", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "PUT",
			BinaryBody: &client.BinaryBody{URL: "https://e.com/f", Base64: "aGk="}}, "exactly one of url or base64"},
		{"binary neither", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "PUT",
			BinaryBody: &client.BinaryBody{ContentType: "text/plain"}}, "exactly one of url or base64"},
		{"bad base64", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "PUT",
			BinaryBody: &client.BinaryBody{Base64: "!!not base64"}}, "binary_body.base64"},
		{"body array", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "POST", Body: json.RawMessage(`[1]`)}, "body: Expected object, received array"},
		{"body string", client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "POST", Body: json.RawMessage(`"s"`)}, "received string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := proxy(t, c, tt.req)
			e := apiErr(t, err)
			if e.HTTPStatus != 400 || e.Slug != client.SlugBadRequest || e.Code != "4300" ||
				!strings.Contains(strings.Join(e.Errors, "\n"), tt.wantErr) {
				t.Errorf("error = %+v, want errors naming %q", e, tt.wantErr)
			}
		})
	}
	// Shapes the client cannot produce.
	url := srv.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/proxy_execute"
	for body, want := range map[string]string{
		`[]`: "JSON object",
		`{"toolkit_slug":1,"endpoint":"/x","method":"GET"}`:                                                             "toolkit_slug: Expected string, received number",
		`{"toolkit_slug":"github","endpoint":"/x","method":"GET","parameters":[{"name":"a","value":1,"type":"query"}]}`: "parameters[0].value",
		`{"toolkit_slug":"github","endpoint":"/x","method":"GET","parameters":[{"name":"a","type":"query"}]}`:           "parameters[0].value: Required",
	} {
		resp := raw(t, "POST", url, map[string]string{"x-api-key": composiotest.APIKey}, body)
		e := apiErr(t, client.CheckResponse(resp))
		if e.HTTPStatus != 400 || !strings.Contains(e.Message+strings.Join(e.Errors, "\n"), want) {
			t.Errorf("%s: error = %+v, want %q", body, e, want)
		}
	}
}

func TestPayloadLimits(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	// Raw requests: at these sizes, the client's own JSON encoding would dominate the
	// test's time under -race.
	url := srv.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/proxy_execute"
	key := map[string]string{"x-api-key": composiotest.APIKey}
	upload := func(n int) string {
		return `{"toolkit_slug":"github","endpoint":"/x","method":"PUT","binary_body":{"base64":"` +
			base64.StdEncoding.EncodeToString(make([]byte, n)) + `"}}`
	}
	if e := apiErr(t, client.CheckResponse(raw(t, "POST", url, key, upload(composiotest.MaxBase64Bytes+1)))); e.HTTPStatus != 413 {
		t.Errorf("4 MB + 1 upload: %+v", e)
	}
	if resp := raw(t, "POST", url, key, upload(composiotest.MaxBase64Bytes)); resp.StatusCode != 200 {
		t.Errorf("4 MB upload: HTTP %d", resp.StatusCode)
	}
	huge := `{"toolkit_slug":"github","endpoint":"/x","method":"POST","body":{"pad":"` + strings.Repeat("x", composiotest.MaxRequestBytes) + `"}}`
	if e := apiErr(t, client.CheckResponse(raw(t, "POST", url, key, huge))); e.HTTPStatus != 413 {
		t.Errorf("8 MiB body: %+v", e)
	}
}

func TestNoActiveConnection(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	for _, toolkit := range []string{"slack", "notion", "nosuchtoolkit"} {
		_, err := proxy(t, c, get(toolkit, "/x"))
		e := apiErr(t, err)
		if e.HTTPStatus != 400 || e.Code != "4302" || e.Slug != client.SlugNoActiveConnection ||
			e.Message != "No active connection found for toolkit(s) '"+toolkit+"' in this session" ||
			!strings.Contains(e.SuggestedFix, "link") {
			t.Errorf("%s: %+v", toolkit, e)
		}
	}
	srv.Connect(composiotest.UserID, "slack")
	if _, err := proxy(t, c, get("slack", "/x")); err != nil {
		t.Errorf("after Connect: %v", err)
	}
	srv.Disconnect(composiotest.UserID, "github")
	if _, err := proxy(t, c, get("github", "/x")); !errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection}) {
		t.Errorf("after Disconnect: %v", err)
	}
}

func TestOriginMismatch(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	for _, endpoint := range []string{"https://evil.example.com/user", "//evil.example.com/user", "https://api.github.com.evil.io/x", "ftp://api.github.com/x"} {
		_, err := proxy(t, c, get("github", endpoint))
		e := apiErr(t, err)
		if e.HTTPStatus != 400 || e.Code != "OriginMismatch" || e.Slug != client.SlugOriginMismatch || e.Message == "" {
			t.Errorf("%s: %+v", endpoint, e)
		}
	}
	// The wire form uses a string code and no slug.
	url := srv.URL + "/api/v3/tool_router/session/" + composiotest.SessionID + "/proxy_execute"
	resp := raw(t, "POST", url, map[string]string{"x-api-key": composiotest.APIKey},
		`{"toolkit_slug":"github","endpoint":"https://evil.example.com/","method":"GET"}`)
	var body struct {
		Error map[string]any `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if body.Error["code"] != "OriginMismatch" || body.Error["slug"] != nil {
		t.Errorf("wire error = %v", body.Error)
	}
	if r, err := proxy(t, c, get("github", "https://uploads.github.com/x")); err != nil || r.Status != 200 {
		t.Errorf("same registrable domain: %v", err)
	}
}

func TestSessionNotFound(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	_, err := c.ProxyExecute(context.Background(), "trs_nope", &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/", Method: "GET"})
	e := apiErr(t, err)
	if e.HTTPStatus != 404 || e.Slug != client.SlugSessionNotFound || e.Message != "Tool router session with ID trs_nope not found" || e.SuggestedFix == "" {
		t.Errorf("%+v", e)
	}
	srv.ExpireSession(composiotest.SessionID)
	if _, err := proxy(t, c, get("github", "/")); !errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}) {
		t.Errorf("expired: %v", err)
	}
	if _, err := c.GetSession(context.Background(), composiotest.SessionID); !errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}) {
		t.Errorf("GetSession expired: %v", err)
	}
	srv.Reset()
	if _, err := proxy(t, c, get("github", "/")); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

func TestV31Path(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	resp := raw(t, "POST", srv.URL+"/api/v3.1/tool_router/session/"+composiotest.SessionID+"/proxy_execute",
		map[string]string{"x-api-key": composiotest.APIKey}, `{"toolkit_slug":"github","endpoint":"/status/418","method":"GET"}`)
	var r client.ProxyResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || r.Status != 418 {
		t.Errorf("v3.1: HTTP %d, %+v, %v", resp.StatusCode, r, err)
	}
	resp = raw(t, "POST", srv.URL+"/api/v2/tool_router/session/"+composiotest.SessionID+"/proxy_execute",
		map[string]string{"x-api-key": composiotest.APIKey}, `{}`)
	if resp.StatusCode != 404 {
		t.Errorf("v2: HTTP %d", resp.StatusCode)
	}
}

func TestBytes(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	for _, n := range []int{10, 1024, 256 << 10} {
		r, err := proxy(t, c, get("github", fmt.Sprintf("/bytes/%d", n)))
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Size    int    `json:"size"`
			Payload string `json:"payload"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil || d.Size != n {
			t.Fatalf("n=%d: %v %d", n, err, d.Size)
		}
		if n >= 1024 && (len(r.Data) < n-16 || len(r.Data) > n+16) {
			t.Errorf("n=%d: data is %d bytes", n, len(r.Data))
		}
	}
	c2, _ := client.New(client.WithBaseURL(c.BaseURL()), client.WithAPIKey(composiotest.APIKey), client.WithMaxResponseBytes(64<<10))
	_, err := proxy(t, c2, get("github", "/bytes/262144"))
	var tl *client.ResponseTooLargeError
	if !errors.As(err, &tl) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	start := time.Now()
	r, err := proxy(t, c, get("github", "/delay/50"))
	if err != nil || r.Status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("delay: %v after %s", err, time.Since(start))
	}
	short, _ := client.New(client.WithBaseURL(c.BaseURL()), client.WithAPIKey(composiotest.APIKey), client.WithTimeout(50*time.Millisecond),
		client.WithMaxRetries(0)) // this checks the fake's delay, not the client's retries
	start = time.Now()
	_, err = proxy(t, short, get("github", "/delay/10000"))
	var te *client.TimeoutError
	if !errors.As(err, &te) || time.Since(start) > 2*time.Second {
		t.Errorf("timeout: %v after %s", err, time.Since(start))
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, composiotest.WithLatency(40*time.Millisecond))
	start := time.Now()
	if _, err := proxy(t, c, get("github", "/user")); err != nil || time.Since(start) < 40*time.Millisecond {
		t.Errorf("latency: %v after %s", err, time.Since(start))
	}
}

func TestDownload(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	tests := []struct{ name, ctype string }{
		{"report.pdf", "application/pdf"}, {"pixel.png", "image/png"}, {"photo.jpg", "image/jpeg"},
		{"anim.gif", "image/gif"}, {"pic.webp", "image/webp"}, {"notes.txt", "text/plain"},
		{"data.json", "application/json"}, {"blob.bin", "application/octet-stream"},
	}
	for _, tt := range tests {
		r, err := proxy(t, c, get("gmail", "/download/"+tt.name))
		if err != nil {
			t.Fatal(err)
		}
		bd := r.BinaryData
		if bd == nil || bd.ContentType != tt.ctype || string(r.Data) != "{}" || r.Status != 200 {
			t.Fatalf("%s: %+v %+v", tt.name, r, bd)
		}
		if exp, err := time.Parse(time.RFC3339, bd.ExpiresAt); err != nil || time.Until(exp) < 50*time.Minute {
			t.Errorf("%s: expires_at %q", tt.name, bd.ExpiresAt)
		}
		if !strings.HasPrefix(bd.URL, srv.URL+"/files/") {
			t.Errorf("%s: url %s", tt.name, bd.URL)
		}
		resp := raw(t, "GET", bd.URL, nil, "")
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || int64(len(b)) != bd.Size || resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: GET = %d, %d bytes (size %d), %s", tt.name, resp.StatusCode, len(b), bd.Size, resp.Header.Get("Content-Type"))
		}
		if tt.ctype == "image/png" {
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("png: %v", err)
			}
		}
	}
	if resp := raw(t, "GET", srv.URL+"/files/report.pdf?sig=00", nil, ""); resp.StatusCode != 403 {
		t.Errorf("bad signature: %d", resp.StatusCode)
	}
}

func TestTextAndErrors(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	// The client would retry these answers with real waits of seconds; this test is
	// about what the fake sends, so one attempt each is enough.
	c, err := srv.Client(client.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	r, err := proxy(t, c, get("github", "/text"))
	var s string
	if err != nil || json.Unmarshal(r.Data, &s) != nil || s == "" || !strings.HasPrefix(r.Headers["content-type"], "text/plain") {
		t.Errorf("text: %+v %v", r, err)
	}

	_, err = proxy(t, c, get("github", "/html502"))
	e := apiErr(t, err)
	if e.HTTPStatus != 502 || e.Message != "" || len(e.Body) == 0 || len(e.Body) > 1024 || !strings.HasPrefix(e.Body, "<!DOCTYPE html>") {
		t.Errorf("html502: %d %q (%d bytes)", e.HTTPStatus, e.Message, len(e.Body))
	}

	_, err = proxy(t, c, get("github", "/ratelimit"))
	e = apiErr(t, err)
	if e.HTTPStatus != 429 || e.Slug != client.SlugTooManyRequests || e.Code != "10429" || e.RetryAfter != time.Second {
		t.Errorf("ratelimit: %+v", e)
	}
	_, err = proxy(t, c, get("github", "/ratelimit-bare"))
	e = apiErr(t, err)
	if e.HTTPStatus != 429 || e.Slug != client.SlugTooManyRequests || e.RetryAfter != 2*time.Second ||
		e.Message != "Rate limit exceeded. Limit: 100 requests per 1 minutes" || e.RequestID == "" {
		t.Errorf("ratelimit-bare: %+v", e)
	}
}

func TestSessionAPI(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()

	s, err := c.GetSession(ctx, composiotest.SessionID)
	if err != nil || s.Config.UserID != composiotest.UserID || !reflect.DeepEqual(s.Config.Toolkits.Enabled, []string{"github", "gmail", "slack", "googlecalendar"}) {
		t.Fatalf("default session = %+v, %v", s, err)
	}

	// A new user: github connected only.
	s, err = c.CreateSession(ctx, &client.CreateSessionRequest{UserID: "alice"})
	if err != nil || !strings.HasPrefix(s.SessionID, "trs_") || len(s.SessionID) != 16 || s.MCP.Type != "http" || s.ConfigVersion != 1 {
		t.Fatalf("CreateSession = %+v, %v", s, err)
	}
	connected := true
	tks, err := c.AllToolkits(ctx, s.SessionID, &client.ListToolkitsOptions{IsConnected: &connected})
	if err != nil || len(tks) != 1 || tks[0].Slug != "github" || tks[0].ConnectedAccount.AuthConfig.ID == "" {
		t.Errorf("alice's connected toolkits = %+v, %v", tks, err)
	}
	if _, err := c.ProxyExecute(ctx, s.SessionID, &client.ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/x", Method: "GET"}); !errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection}) {
		t.Errorf("alice gmail: %v", err)
	}

	// Connect gmail through a link.
	l, err := c.CreateLink(ctx, s.SessionID, &client.LinkRequest{Toolkit: "gmail", CallbackURL: "https://example.com/done"})
	if err != nil || !strings.HasPrefix(l.RedirectURL, srv.URL+"/link/") || l.LinkToken == "" || l.ConnectedAccountID == "" {
		t.Fatalf("CreateLink = %+v, %v", l, err)
	}
	resp := raw(t, "GET", l.RedirectURL, nil, "")
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(page), "connected") {
		t.Errorf("link page: %d %s", resp.StatusCode, page)
	}
	if _, err := c.ProxyExecute(ctx, s.SessionID, &client.ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/x", Method: "GET"}); err != nil {
		t.Errorf("alice gmail after link: %v", err)
	}
	tks, _ = c.AllToolkits(ctx, s.SessionID, &client.ListToolkitsOptions{Toolkits: []string{"gmail"}})
	if len(tks) != 1 || tks[0].ConnectedAccount == nil || tks[0].ConnectedAccount.ID != l.ConnectedAccountID {
		t.Errorf("gmail after link = %+v", tks)
	}
	if _, err := c.CreateLink(ctx, s.SessionID, &client.LinkRequest{Toolkit: "notion"}); err == nil {
		t.Error("link for a toolkit not in the session: no error")
	}

	// Paging really pages.
	p, err := c.ListToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{Limit: 2})
	if err != nil || len(p.Items) != 2 || p.NextCursor == "" || p.TotalItems != 4 || p.TotalPages != 2 || p.CurrentPage != 1 {
		t.Fatalf("page 1 = %+v, %v", p, err)
	}
	p, err = c.ListToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{Limit: 2, Cursor: p.NextCursor})
	if err != nil || len(p.Items) != 2 || p.Items[0].Slug != "slack" || p.NextCursor != "" || p.CurrentPage != 2 {
		t.Fatalf("page 2 = %+v, %v", p, err)
	}
	all, err := c.AllToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{Limit: 1})
	if err != nil || len(all) != 4 {
		t.Errorf("AllToolkits = %d, %v", len(all), err)
	}
	if all[2].ConnectedAccount != nil || all[2].Connected() {
		t.Errorf("slack = %+v, want not connected", all[2])
	}
	notConnected := false
	all, _ = c.AllToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{IsConnected: &notConnected})
	if len(all) != 2 || all[0].Slug != "slack" || all[1].Slug != "googlecalendar" {
		t.Errorf("is_connected=false = %+v", all)
	}
	all, _ = c.AllToolkits(ctx, composiotest.SessionID, &client.ListToolkitsOptions{Search: "MAIL"})
	if len(all) != 1 || all[0].Slug != "gmail" {
		t.Errorf("search = %+v", all)
	}
	for _, opts := range []client.ListToolkitsOptions{{Limit: 51}, {Cursor: "garbage!"}} {
		if _, err := c.ListToolkits(ctx, composiotest.SessionID, &opts); !errors.Is(err, &client.APIError{Slug: client.SlugBadRequest}) {
			t.Errorf("%+v: %v", opts, err)
		}
	}

	// Enable list and unknown toolkits.
	s2, err := c.CreateSession(ctx, &client.CreateSessionRequest{UserID: composiotest.UserID, Toolkits: []string{"gmail", "hackernews"}})
	if err != nil || !reflect.DeepEqual(s2.Config.Toolkits.Enabled, []string{"gmail", "hackernews"}) {
		t.Fatalf("CreateSession(enable) = %+v, %v", s2, err)
	}
	if _, err := c.ProxyExecute(ctx, s2.SessionID, &client.ProxyRequest{ToolkitSlug: "hackernews", Endpoint: "/topstories.json", Method: "GET"}); err != nil {
		t.Errorf("no-auth toolkit: %v", err)
	}
	if _, err := c.ProxyExecute(ctx, s2.SessionID, &client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "GET"}); !errors.Is(err, &client.APIError{Slug: client.SlugNoActiveConnection}) {
		t.Errorf("toolkit not enabled: %v", err)
	}
	if _, err := c.CreateSession(ctx, &client.CreateSessionRequest{UserID: "u", Toolkits: []string{"nope"}}); !errors.Is(err, &client.APIError{Slug: client.SlugBadRequest}) {
		t.Errorf("unknown toolkit: %v", err)
	}
	resp = raw(t, "POST", srv.URL+"/api/v3/tool_router/session", map[string]string{"x-api-key": composiotest.APIKey}, `{}`)
	if resp.StatusCode != 400 {
		t.Errorf("no user_id: %d", resp.StatusCode)
	}

	// Delete: v3.1 only.
	resp = raw(t, "DELETE", srv.URL+"/api/v3/tool_router/session/"+s2.SessionID, map[string]string{"x-api-key": composiotest.APIKey}, "")
	if resp.StatusCode != 404 {
		t.Errorf("DELETE v3: %d, want 404: there is no DELETE on v3", resp.StatusCode)
	}
	if err := c.DeleteSession(ctx, s2.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSession(ctx, s2.SessionID); !errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteSession(ctx, s2.SessionID); !errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}) {
		t.Errorf("delete twice: %v", err)
	}
}

func TestRecording(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	req := client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/user", Method: "POST", Body: json.RawMessage(`{"a":1}`)}
	if _, err := proxy(t, c, req); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Header.Get("X-Api-Key") != composiotest.APIKey ||
		!strings.HasSuffix(reqs[0].Path, "/proxy_execute") || !bytes.Contains(reqs[0].Body, []byte(`"body":{"a":1}`)) {
		t.Errorf("Requests = %+v", reqs)
	}
	reqs[0].Header.Set("X-Api-Key", "mutated")
	if srv.Requests()[0].Header.Get("X-Api-Key") != composiotest.APIKey {
		t.Error("Requests returned shared headers")
	}
	if got := srv.ProxyRequests(); len(got) != 1 || !reflect.DeepEqual(got[0], req) {
		t.Errorf("ProxyRequests = %+v", got)
	}
	srv.Reset()
	if len(srv.Requests()) != 0 || len(srv.ProxyRequests()) != 0 {
		t.Error("Reset kept requests")
	}

	limited, c2 := newServer(t, composiotest.WithMaxRecorded(2))
	for range 5 {
		proxy(t, c2, get("github", "/user"))
	}
	if n := len(limited.Requests()); n != 2 {
		t.Errorf("WithMaxRecorded(2) kept %d", n)
	}
}

// TestHandler checks that a Server mounted on someone else's HTTP server builds its
// links from the request's host.
func TestHandler(t *testing.T) {
	t.Parallel()
	h := composiotest.NewHandler()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := client.New(client.WithBaseURL(ts.URL), client.WithUserAPIKey(composiotest.UserAPIKey))
	if err != nil {
		t.Fatal(err)
	}
	r, err := proxy(t, c, get("github", "/download/a.txt"))
	if err != nil || !strings.HasPrefix(r.BinaryData.URL, ts.URL+"/files/a.txt?sig=") {
		t.Errorf("download via handler: %+v %v", r, err)
	}
	if _, err := h.Client(); err == nil {
		t.Error("Client on an unstarted server: no error")
	}
	h.Close() // a no-op
	resp := raw(t, "GET", ts.URL+"/nowhere", nil, "")
	if e := apiErr(t, client.CheckResponse(resp)); e.HTTPStatus != 404 || e.Slug != "HTTP_NotFound" {
		t.Errorf("unknown route: %+v", e)
	}
}

// TestConcurrent runs 64 calls at once, with state changes in between, under -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t, composiotest.WithLatency(5*time.Millisecond))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64*2)
	for i := range 64 {
		wg.Go(func() {
			r, err := c.ProxyExecute(ctx, composiotest.SessionID, &client.ProxyRequest{
				ToolkitSlug: "github", Endpoint: fmt.Sprintf("/items/%d", i), Method: "GET",
			})
			if err != nil {
				errs <- err
				return
			}
			if d := decodeData(t, r); d["endpoint"] != fmt.Sprintf("/items/%d", i) {
				errs <- fmt.Errorf("call %d got %v", i, d)
			}
		})
		if i%8 == 0 {
			wg.Go(func() {
				srv.Connect(fmt.Sprintf("user%d", i), "slack")
				_ = srv.Requests()
				_ = srv.ProxyRequests()
				if _, err := c.ListToolkits(ctx, composiotest.SessionID, nil); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.ProxyRequests()); n != 64 {
		t.Errorf("recorded %d proxy calls, want 64", n)
	}
}
