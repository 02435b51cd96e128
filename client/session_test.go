package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"testing"
)

const sessionJSON = `{"session_id":"trs_new","mcp":{"type":"http","url":"https://backend.composio.dev/tool_router/trs_new/mcp"},
	"tool_router_tools":["COMPOSIO_SEARCH_TOOLS"],"config":{"user_id":"u1","toolkits":{"enabled":["gmail"]},
	"manage_connections":{"enabled":true},"preload":{"tools":[]}},"config_version":1}`

var wantSession = &Session{
	SessionID:     "trs_new",
	MCP:           SessionMCP{Type: "http", URL: "https://backend.composio.dev/tool_router/trs_new/mcp"},
	Config:        SessionConfig{UserID: "u1", Toolkits: SessionToolkits{Enabled: []string{"gmail"}}, Preload: json.RawMessage(`{"tools":[]}`)},
	ConfigVersion: 1,
}

func TestCreateSession(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  CreateSessionRequest
		want string
	}{
		{"user only", CreateSessionRequest{UserID: "u1"}, `{"user_id":"u1"}`},
		{"with toolkits", CreateSessionRequest{UserID: "u1", Toolkits: []string{"gmail"}}, `{"user_id":"u1","toolkits":{"enable":["gmail"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc("POST /api/v3/tool_router/session", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if string(b) != tt.want {
					t.Errorf("body = %s, want %s", b, tt.want)
				}
				var back CreateSessionRequest
				if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.req) {
					t.Errorf("UnmarshalJSON = %+v, %v; want %+v", back, err, tt.req)
				}
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, sessionJSON)
			})
			got, err := c.CreateSession(context.Background(), &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, wantSession) {
				t.Errorf("session = %+v", got)
			}
		})
	}
	c, _ := setup(t)
	if _, err := c.CreateSession(context.Background(), &CreateSessionRequest{}); err == nil {
		t.Error("no user id: no error")
	}
}

func TestGetSession(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /api/v3/tool_router/session/trs_new", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sessionJSON)
	})
	mux.HandleFunc("GET /api/v3/tool_router/session/trs_gone", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"message":"Tool router session with ID trs_gone not found","slug":"ToolRouterV2_SessionNotFound","status":404}}`)
	})
	got, err := c.GetSession(context.Background(), "trs_new")
	if err != nil || !reflect.DeepEqual(got, wantSession) {
		t.Errorf("GetSession = %+v, %v", got, err)
	}
	_, err = c.GetSession(context.Background(), "trs_gone")
	if !errors.Is(err, &APIError{Slug: SlugSessionNotFound}) {
		t.Errorf("GetSession(gone) = %v, want SessionNotFound", err)
	}
}

func TestListToolkitsQuery(t *testing.T) {
	t.Parallel()
	yes := true
	tests := []struct {
		name string
		opts *ListToolkitsOptions
		want string
	}{
		{"nil", nil, ""},
		{"all", &ListToolkitsOptions{Limit: 5, Cursor: "c1", Toolkits: []string{"gmail", "github"}, IsConnected: &yes, Search: "mail box"},
			"cursor=c1&is_connected=true&limit=5&search=mail+box&toolkits=gmail%2Cgithub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc("GET /api/v3/tool_router/session/trs_1/toolkits", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.RawQuery != tt.want {
					t.Errorf("query = %q, want %q", r.URL.RawQuery, tt.want)
				}
				io.WriteString(w, `{"items":[{"name":"Gmail","slug":"gmail","enabled":true,"is_no_auth":false,
					"composio_managed_auth_schemes":["OAUTH2"],"meta":{"logo":"l","description":"d"},
					"connected_account":{"id":"ca_1","user_id":"u1","status":"ACTIVE","created_at":"2025-01-01T00:00:00Z",
					"auth_config":{"id":"ac_1","auth_scheme":"OAUTH2","is_composio_managed":true}}},
					{"name":"Slack","slug":"slack","enabled":true,"is_no_auth":false,"composio_managed_auth_schemes":[],
					"meta":{"logo":"","description":""},"connected_account":null}],
					"next_cursor":null,"total_pages":1,"current_page":1,"total_items":2}`)
			})
			p, err := c.ListToolkits(context.Background(), "trs_1", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := Toolkit{
				Name: "Gmail", Slug: "gmail", Enabled: true, ComposioManagedAuthSchemes: []string{"OAUTH2"},
				Meta: ToolkitMeta{Logo: "l", Description: "d"},
				ConnectedAccount: &ConnectedAccount{ID: "ca_1", UserID: "u1", Status: "ACTIVE", CreatedAt: "2025-01-01T00:00:00Z",
					AuthConfig: AuthConfig{ID: "ac_1", AuthScheme: "OAUTH2", IsComposioManaged: true}},
			}
			if len(p.Items) != 2 || !reflect.DeepEqual(p.Items[0], want) || p.NextCursor != "" || p.TotalItems != 2 {
				t.Errorf("page = %+v", p)
			}
			if !p.Items[0].Connected() || p.Items[1].Connected() {
				t.Errorf("Connected() = %v, %v; want true, false", p.Items[0].Connected(), p.Items[1].Connected())
			}
		})
	}
}

func TestAllToolkits(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /api/v3/tool_router/session/trs_1/toolkits", func(w http.ResponseWriter, r *http.Request) {
		page := 0
		if cur := r.URL.Query().Get("cursor"); cur != "" {
			page, _ = strconv.Atoi(cur[1:])
		}
		if r.URL.Query().Get("limit") != "1" {
			t.Errorf("limit not carried over: %q", r.URL.RawQuery)
		}
		next := "null"
		if page < 2 {
			next = fmt.Sprintf(`"p%d"`, page+1)
		}
		fmt.Fprintf(w, `{"items":[{"slug":"t%d"}],"next_cursor":%s,"total_pages":3,"current_page":%d,"total_items":3}`, page, next, page+1)
	})
	got, err := c.AllToolkits(context.Background(), "trs_1", &ListToolkitsOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, tk := range got {
		slugs = append(slugs, tk.Slug)
	}
	if want := []string{"t0", "t1", "t2"}; !reflect.DeepEqual(slugs, want) {
		t.Errorf("slugs = %v, want %v", slugs, want)
	}
}

func TestAllToolkitsStopsOnLoop(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /api/v3/tool_router/session/trs_1/toolkits", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[],"next_cursor":"same"}`)
	})
	if _, err := c.AllToolkits(context.Background(), "trs_1", nil); err == nil {
		t.Error("a repeating cursor gave no error")
	}
}

func TestCreateLink(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /api/v3/tool_router/session/trs_1/link", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if want := `{"toolkit":"gmail","callback_url":"https://example.com/cb","alias":"work"}`; string(b) != want {
			t.Errorf("body = %s, want %s", b, want)
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"link_token":"lt_1","redirect_url":"https://connect.composio.dev/link/lt_1","connected_account_id":"ca_9"}`)
	})
	got, err := c.CreateLink(context.Background(), "trs_1", &LinkRequest{Toolkit: "gmail", CallbackURL: "https://example.com/cb", Alias: "work"})
	want := &Link{LinkToken: "lt_1", RedirectURL: "https://connect.composio.dev/link/lt_1", ConnectedAccountID: "ca_9"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CreateLink = %+v, %v", got, err)
	}
	if _, err := c.CreateLink(context.Background(), "trs_1", &LinkRequest{}); err == nil {
		t.Error("empty toolkit: no error")
	}
}

func TestDeleteSession(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	called := false
	mux.HandleFunc("DELETE /api/v3.1/tool_router/session/trs_1", func(w http.ResponseWriter, r *http.Request) {
		called = true
		io.WriteString(w, `{"session_id":"trs_1","deleted":true}`)
	})
	if err := c.DeleteSession(context.Background(), "trs_1"); err != nil || !called {
		t.Errorf("DeleteSession = %v, called %v", err, called)
	}
}
