package composiotest

import "testing"

func TestRegistrableDomain(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"api.github.com":         "github.com",
		"uploads.github.com":     "github.com",
		"github.com":             "github.com",
		"evil-github.com":        "evil-github.com",
		"api.github.com.evil.io": "evil.io",
		"www.googleapis.com":     "googleapis.com",
		"API.Notion.com.":        "notion.com",
		"api.example.co.uk":      "example.co.uk",
		"example.co.uk":          "example.co.uk",
		"a.b.example.com.au":     "example.com.au",
		"co.uk":                  "co.uk",
		"localhost":              "localhost",
		"127.0.0.1":              "127.0.0.1",
		"::1":                    "::1",
		"example.co":             "example.co",
		"x.example.co":           "example.co",
	} {
		if got := registrableDomain(host); got != want {
			t.Errorf("registrableDomain(%q) = %q, want %q", host, got, want)
		}
	}
}
