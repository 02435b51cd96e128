package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// The session body carries the disable list, auth configs and pinned accounts, the
// latter in the shape of the client's API version.
func TestCreateSessionOptionsPerVersion(t *testing.T) {
	t.Parallel()
	req := CreateSessionRequest{
		UserID:            "u1",
		DisableToolkits:   []string{"slack"},
		AuthConfigs:       map[string]string{"gmail": "ac_1"},
		ConnectedAccounts: map[string]string{"gmail": "ca_1"},
	}
	for v, want := range map[APIVersion]string{
		APIv3:  `{"user_id":"u1","toolkits":{"disable":["slack"]},"auth_configs":{"gmail":"ac_1"},"connected_accounts":{"gmail":"ca_1"}}`,
		APIv31: `{"user_id":"u1","toolkits":{"disable":["slack"]},"auth_configs":{"gmail":"ac_1"},"connected_accounts":{"gmail":["ca_1"]}}`,
	} {
		c, mux := setup(t, WithAPIVersion(v))
		mux.HandleFunc("POST /api/"+string(v)+"/tool_router/session", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if string(b) != want {
				t.Errorf("%s: body = %s, want %s", v, b, want)
			}
			var back CreateSessionRequest
			if err := json.Unmarshal(b, &back); err != nil || back.ConnectedAccounts["gmail"] != "ca_1" || !slices.Equal(back.DisableToolkits, []string{"slack"}) {
				t.Errorf("%s: UnmarshalJSON = %+v, %v", v, back, err)
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, sessionJSON)
		})
		if _, err := c.CreateSession(context.Background(), &req); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	c, _ := setup(t)
	if _, err := c.CreateSession(context.Background(), &CreateSessionRequest{UserID: "u1", Toolkits: []string{"a"}, DisableToolkits: []string{"b"}}); err == nil {
		t.Error("enable and disable together: no error")
	}
}

// Every session call uses the version's prefix, except DELETE, which exists on v3.1
// only.
func TestSessionPathsPerVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []APIVersion{APIv3, APIv31} {
		c, mux := setup(t, WithAPIVersion(v))
		var mu sync.Mutex
		var got []string
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, r.Method+" "+r.URL.Path)
			mu.Unlock()
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/api/"+string(v)+"/tool_router/session":
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, sessionJSON)
			case r.Method == http.MethodGet && r.URL.Path == "/api/"+string(v)+"/tool_router/session/trs_1/toolkits":
				io.WriteString(w, `{"items":[]}`)
			case r.URL.Path == "/api/"+string(v)+"/tool_router/session/trs_1/proxy_execute":
				io.WriteString(w, `{"data":{},"status":200,"headers":{}}`)
			case r.URL.Path == "/api/"+string(v)+"/tool_router/session/trs_1/link":
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"link_token":"lt","redirect_url":"https://x/y","connected_account_id":"ca"}`)
			case r.Method == http.MethodGet:
				io.WriteString(w, sessionJSON)
			default:
				io.WriteString(w, `{"session_id":"trs_1","deleted":true}`)
			}
		})
		ctx := context.Background()
		_, err1 := c.CreateSession(ctx, &CreateSessionRequest{UserID: "u1"})
		_, err2 := c.GetSession(ctx, "trs_1")
		_, err3 := c.ListToolkits(ctx, "trs_1", nil)
		_, err4 := c.CreateLink(ctx, "trs_1", &LinkRequest{Toolkit: "gmail"})
		_, err5 := c.ProxyExecute(ctx, "trs_1", &ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/x", Method: "GET"})
		err6 := c.DeleteSession(ctx, "trs_1")
		if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		p := "/api/" + string(v) + "/tool_router/session"
		want := []string{"POST " + p, "GET " + p + "/trs_1", "GET " + p + "/trs_1/toolkits", "POST " + p + "/trs_1/link",
			"POST " + p + "/trs_1/proxy_execute", "DELETE /api/v3.1/tool_router/session/trs_1"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: paths\n%q\nwant\n%q", v, got, want)
		}
		r, err := c.NewProxyRequest(ctx, "trs_1", &ProxyRequest{ToolkitSlug: "gmail", Endpoint: "/x", Method: "GET"})
		if err != nil || r.URL.Path != baseURLPath+p+"/trs_1/proxy_execute" {
			t.Errorf("%s: dry-run request %v, %v", v, r.URL, err)
		}
	}
	if _, err := New(WithAPIKey("k"), WithAPIVersion("v4")); err == nil {
		t.Error("API version v4: no error")
	}
}

func TestIsSessionGone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"slug only", &APIError{HTTPStatus: 404, Slug: SlugSessionNotFound}, true},
		{"message only", &APIError{HTTPStatus: 404, Message: "session trs_1 does not exist or has been deleted"}, true},
		{"both, wrapped", fmt.Errorf("x: %w", &APIError{HTTPStatus: 404, Slug: SlugSessionNotFound, Message: "Tool router session with ID trs_1 not found"}), true},
		{"neither", &APIError{HTTPStatus: 404, Slug: "HTTP_NotFound", Message: "Cannot GET /api/v3/tool_router/session/trs_1/x"}, false},
		{"a toolkit", &APIError{HTTPStatus: 404, Message: "Toolkit 'nope' not found"}, false},
		{"not a 404", &APIError{HTTPStatus: 400, Slug: SlugSessionNotFound}, false},
		{"from link", &LinkNotFoundError{Toolkit: "gmail", Err: &APIError{HTTPStatus: 404, Slug: SlugSessionNotFound}}, false},
		{"other", errors.New("session not found"), false},
	} {
		if got := IsSessionGone(tc.err); got != tc.want {
			t.Errorf("%s: IsSessionGone = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A 404 from link is a *LinkNotFoundError that still unwraps to the *APIError.
func TestCreateLinkNotFound(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /api/v3/tool_router/session/trs_1/link", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"message":"Auth config not found for toolkit 'jira'","status":404,"code":1}}`)
	})
	_, err := c.CreateLink(context.Background(), "trs_1", &LinkRequest{Toolkit: "jira"})
	var le *LinkNotFoundError
	var ae *APIError
	if !errors.As(err, &le) || le.Toolkit != "jira" || !errors.As(err, &ae) || ae.HTTPStatus != 404 || IsSessionGone(err) {
		t.Errorf("CreateLink = %v", err)
	}
}
