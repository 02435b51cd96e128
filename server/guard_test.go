package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	t.Parallel()
	var gotBody string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		gotBody = string(b)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusOK)
	})
	g := Guard{AllowedOrigins: []string{"https://app.example.com/"}, AllowLoopbackOrigins: true, Token: "s3cret-token", MaxRequestBytes: 16}
	h := g.wrap(next)
	tests := []struct {
		name     string
		origin   string
		auth     string
		body     string
		chunked  bool
		want     int
		wantAuth bool
	}{
		{name: "ok", auth: "Bearer s3cret-token", body: "hi", want: 200},
		{name: "scheme case", auth: "bearer s3cret-token", want: 200},
		{name: "no token", want: 401, wantAuth: true},
		{name: "wrong token", auth: "Bearer s3cret-tokeN", want: 401, wantAuth: true},
		{name: "basic auth", auth: "Basic czNjcmV0LXRva2Vu", want: 401, wantAuth: true},
		{name: "allowed origin", origin: "https://app.example.com", auth: "Bearer s3cret-token", want: 200},
		{name: "loopback origin", origin: "http://127.0.0.1:5173", auth: "Bearer s3cret-token", want: 200},
		{name: "localhost origin", origin: "http://localhost", auth: "Bearer s3cret-token", want: 200},
		{name: "foreign origin", origin: "https://evil.example", auth: "Bearer s3cret-token", want: 403},
		{name: "null origin", origin: "null", auth: "Bearer s3cret-token", want: 403},
		{name: "lookalike origin", origin: "http://localhost.evil.example", auth: "Bearer s3cret-token", want: 403},
		{name: "origin checked before token", origin: "https://evil.example", want: 403},
		{name: "body at limit", auth: "Bearer s3cret-token", body: strings.Repeat("a", 16), want: 200},
		{name: "body over limit", auth: "Bearer s3cret-token", body: strings.Repeat("a", 17), want: 413},
		{name: "chunked over limit", auth: "Bearer s3cret-token", body: strings.Repeat("a", 17), chunked: true, want: 413},
		{name: "chunked at limit", auth: "Bearer s3cret-token", body: strings.Repeat("a", 16), chunked: true, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/mcp", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			gotBody = ""
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.wantAuth != (rec.Header().Get("WWW-Authenticate") != "") {
				t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
			if rec.Code == 200 {
				if gotBody != tt.body {
					t.Errorf("handler read %q, want %q", gotBody, tt.body)
				}
				if rec.Header().Get("Access-Control-Allow-Origin") == "*" {
					t.Error("wildcard Access-Control-Allow-Origin was sent")
				}
			}
			if strings.Contains(rec.Body.String(), "s3cret-token") {
				t.Error("the token is in the response")
			}
		})
	}
}

func TestGuardWithoutLoopbackOrigins(t *testing.T) {
	t.Parallel()
	h := Guard{}.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/sse", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("status %d, want 403 for a localhost page when the server is not on loopback", rec.Code)
	}
}

// BearerToken is the one parser of "Authorization: Bearer <token>", for the
// server's own token and for sign-in.
func TestBearerToken(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc", " Bearer abc": "abc",
		"": "", "Bearer": "", "Bearer ": "", "Basic abc": "", "Bearer a b": "", "Bearerabc": "",
	} {
		got, ok := BearerToken(h)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}
