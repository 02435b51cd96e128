package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
)

// encodedJSON is a request body that is already JSON: do sends it as it is
// instead of encoding it again, so that the bytes a dry run shows are the bytes
// a call sends.
type encodedJSON []byte

// proxyCall builds the path and body of a proxy_execute call. ProxyExecute and
// NewProxyRequest both use it, which is what makes a dry run exact.
func proxyCall(prefix, sessionID string, req *ProxyRequest) (path string, payload []byte, err error) {
	if req == nil {
		return "", nil, errors.New("composio: nil proxy request")
	}
	if path, err = sessionPath(prefix, sessionID, "/proxy_execute"); err != nil {
		return "", nil, err
	}
	if payload, err = json.Marshal(req); err != nil {
		// The error names the type at fault, never the body's content.
		return "", nil, fmt.Errorf("composio: encoding request: %w", err)
	}
	return path, payload, nil
}

// NewProxyRequest returns the HTTP request that ProxyExecute would send first for
// req in session sessionID, without sending it: the same URL, headers and body
// bytes (its GetBody returns a fresh reader over them). It carries the API key,
// so show it only through RedactHeader. Headers that the transport adds on the
// wire (Host, Content-Length, Accept-Encoding) are not in its Header.
func (c *Client) NewProxyRequest(ctx context.Context, sessionID string, req *ProxyRequest) (*http.Request, error) {
	path, payload, err := proxyCall(c.prefix(), sessionID, req)
	if err != nil {
		return nil, err
	}
	return c.newRequest(ctx, http.MethodPost, path, nil, payload)
}

// secretHeaders are the request headers that carry a credential.
var secretHeaders = []string{"X-Api-Key", "X-User-Api-Key", "Authorization"}

// Redacted replaces a credential in a header shown by RedactHeader: the
// same marker as everywhere else this module hides a value.
const Redacted = redact.Marker

// RedactHeader returns a copy of h with every credential header's value replaced
// by Redacted, so that a request can be shown, logged or returned to a model.
func RedactHeader(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		for _, s := range secretHeaders {
			if strings.EqualFold(k, s) {
				out[k] = []string{Redacted}
			}
		}
	}
	return out
}
