package client

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Option configures a Client in New.
type Option func(*Client) error

// WithBaseURL sets the API base URL, e.g. a regional endpoint or a fake. It must be an
// absolute http or https URL; it may carry a path prefix (http://host/prefix), with or
// without a trailing slash.
func WithBaseURL(rawURL string) Option {
	return func(c *Client) error {
		u, err := parseBaseURL(rawURL)
		if err != nil {
			return err
		}
		c.baseURL = u
		return nil
	}
}

// WithAPIKey sets the project API key (ak_…), sent as x-api-key. An empty key counts as
// not given, so a caller can pass an unset environment variable straight through.
func WithAPIKey(key string) Option {
	return func(c *Client) error {
		c.apiKey = key
		return nil
	}
}

// WithUserAPIKey sets the user API key (uak_…), sent as x-user-api-key. It is used only
// when no project API key is set: Composio rejects a request that carries both.
func WithUserAPIKey(key string) Option {
	return func(c *Client) error {
		c.userAPIKey = key
		return nil
	}
}

// WithHTTPClient sets the HTTP client, e.g. one with a custom transport or a proxy.
// The client's own Timeout, if any, applies in addition to WithTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("composio: nil HTTP client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header; an empty string keeps DefaultUserAgent.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua != "" {
			c.userAgent = ua
		}
		return nil
	}
}

// WithTimeout bounds a whole call, from sending the first request to reading the last
// answer, retries and the waits between them included: no retry starts that could not
// begin before it runs out. Zero means no bound beyond the caller's context. When it
// runs out, the call fails with a *TimeoutError.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("composio: negative timeout %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxResponseBytes bounds the size of a success body; a longer one yields a
// *ResponseTooLargeError.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("composio: max response bytes must be positive, got %d", n)
		}
		c.maxResponseBytes = n
		return nil
	}
}

// APIVersion is a version of Composio's tool-router API: the path prefix of every
// session call (/api/v3/… or /api/v3.1/…) and the request and response shapes that go
// with it.
type APIVersion string

// The API versions a Client speaks.
const (
	// APIv3 is the version this program's specification names, still supported by
	// Composio: the default.
	APIv3 APIVersion = "v3"
	// APIv31 is the version Composio calls current. Its session body takes
	// connected_accounts as lists, and its session answer carries config.execute,
	// config.search and config.preload.
	APIv31 APIVersion = "v3.1"
)

// ParseAPIVersion checks that s names an APIVersion ("v3" or "v3.1").
func ParseAPIVersion(s string) (APIVersion, error) {
	switch v := APIVersion(s); v {
	case APIv3, APIv31:
		return v, nil
	}
	return "", fmt.Errorf("composio: API version %q: want v3 or v3.1", s)
}

// WithAPIVersion sets the API version of every session call (create, get, toolkits,
// link, proxy_execute); DeleteSession always uses v3.1, the only version that has it.
// The default is APIv3.
func WithAPIVersion(v APIVersion) Option {
	return func(c *Client) error {
		if _, err := ParseAPIVersion(string(v)); err != nil {
			return err
		}
		c.apiVersion = v
		return nil
	}
}
