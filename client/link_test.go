package client

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Only ACTIVE counts as connected, as in Composio's SDK: an account with any other
// status, an empty one included, cannot make calls.
func TestToolkitConnectedOnlyWhenActive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tk   Toolkit
		want bool
	}{
		{Toolkit{IsNoAuth: true}, true},
		{Toolkit{}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: StatusActive}}, true},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: ""}}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: "active"}}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: StatusInitiated}}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: StatusExpired}}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: StatusFailed}}, false},
		{Toolkit{ConnectedAccount: &ConnectedAccount{Status: StatusInactive}}, false},
	} {
		if got := tc.tk.Connected(); got != tc.want {
			t.Errorf("%+v: Connected() = %v, want %v", tc.tk.ConnectedAccount, got, tc.want)
		}
	}
}

// NewLinkRequest builds the very request CreateLink sends: same URL and body bytes.
func TestNewLinkRequestMatchesCreateLink(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var sent []byte
	mux.HandleFunc("POST /api/v3/tool_router/session/trs_1/link", func(w http.ResponseWriter, r *http.Request) {
		sent, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"link_token":"lt_1","redirect_url":"https://x/link/lt_1"}`)
	})
	req := &LinkRequest{Toolkit: "notion", Alias: "personal"}
	if _, err := c.CreateLink(context.Background(), "trs_1", req); err != nil {
		t.Fatal(err)
	}
	hr, err := c.NewLinkRequest(context.Background(), "trs_1", req)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := hr.GetBody()
	built, _ := io.ReadAll(rc)
	if string(built) != string(sent) || string(sent) != `{"toolkit":"notion","alias":"personal"}` {
		t.Errorf("built %s, sent %s", built, sent)
	}
	if hr.Method != http.MethodPost || !strings.HasSuffix(hr.URL.Path, "/api/v3/tool_router/session/trs_1/link") || hr.Header.Get("X-Api-Key") == "" {
		t.Errorf("request %s %s %v", hr.Method, hr.URL, hr.Header)
	}
	if _, err := c.NewLinkRequest(context.Background(), "trs_1", nil); err == nil {
		t.Error("nil request: no error")
	}
}
