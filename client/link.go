package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// LinkRequest is the body of POST /api/{version}/tool_router/session/{id}/link, which starts
// connecting the session user's account for a toolkit.
type LinkRequest struct {
	// Toolkit is the toolkit slug to connect, e.g. "gmail". Required.
	Toolkit string `json:"toolkit"`
	// CallbackURL, when set, is where Composio sends the person once they have
	// connected the account.
	CallbackURL string `json:"callback_url,omitempty"`
	// Alias, when set, labels the account, so that a user with several accounts of
	// one toolkit can tell them apart.
	Alias string `json:"alias,omitempty"`
}

// linkCall builds the path and body of a link call. CreateLink and NewLinkRequest
// both use it, so that a dry run shows the bytes a call sends.
func linkCall(prefix, sessionID string, req *LinkRequest) (path string, payload []byte, err error) {
	if req == nil || req.Toolkit == "" {
		return "", nil, errors.New("composio: creating a link needs a toolkit")
	}
	if path, err = sessionPath(prefix, sessionID, "/link"); err != nil {
		return "", nil, err
	}
	if payload, err = json.Marshal(req); err != nil {
		return "", nil, fmt.Errorf("composio: encoding link request: %w", err)
	}
	return path, payload, nil
}

// NewLinkRequest returns the HTTP request that CreateLink would send for req in
// session sessionID, without sending it, as NewProxyRequest does for a proxy call.
// It carries the API key, so show it only through RedactHeader.
func (c *Client) NewLinkRequest(ctx context.Context, sessionID string, req *LinkRequest) (*http.Request, error) {
	path, payload, err := linkCall(c.prefix(), sessionID, req)
	if err != nil {
		return nil, err
	}
	return c.newRequest(ctx, http.MethodPost, path, nil, payload)
}
