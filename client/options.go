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
