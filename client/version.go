package client

import "fmt"

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

// apiPrefix is the one place an API version becomes a path prefix: api/v3 or
// api/v3.1, relative to the base URL.
func apiPrefix(v APIVersion) string { return "api/" + string(v) }

// prefix is the path prefix of the client's API version.
func (c *Client) prefix() string { return apiPrefix(c.apiVersion) }

// sessionPath is the package's sessionPath under the client's API version.
func (c *Client) sessionPath(sessionID, suffix string) (string, error) {
	return sessionPath(c.prefix(), sessionID, suffix)
}
