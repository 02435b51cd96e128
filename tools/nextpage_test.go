package tools

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// TestNextPage: each cursor style gives the exact next call, and a last page
// gives none.
func TestNextPage(t *testing.T) {
	t.Parallel()
	q := func(name, value string) client.Parameter {
		return client.Parameter{Name: name, Value: value, Type: "query"}
	}
	get := func(endpoint string, params ...client.Parameter) *client.ProxyRequest {
		return &client.ProxyRequest{ToolkitSlug: "x", Endpoint: endpoint, Method: "GET", Parameters: params}
	}
	accept := client.Parameter{Name: "Accept", Value: "application/json", Type: "header"}
	for _, tc := range []struct {
		name    string
		call    *client.ProxyRequest
		headers client.Headers
		data    string
		want    *pageHint
	}{
		{"github link", get("/user/repos?per_page=100", accept), client.Headers{"Link": `<https://api.github.com/user/repos?per_page=100&page=2>; rel="next", <https://api.github.com/user/repos?per_page=100&page=3>; rel="last"`}, `[{"id":1}]`,
			&pageHint{Style: "link_header", Endpoint: "/user/repos", Parameters: []client.Parameter{accept, q("page", "2"), q("per_page", "100")}, items: ""}},
		{"link under a base path", get("/calendars/primary/events"), client.Headers{"link": `<https://www.googleapis.com/calendar/v3/calendars/primary/events?page=2>; rel=next`}, `{"items":[]}`,
			&pageHint{Style: "link_header", Endpoint: "/calendars/primary/events", Parameters: []client.Parameter{q("page", "2")}, items: "items"}},
		{"link, last page", get("/user/repos"), client.Headers{"link": `<https://api.github.com/user/repos?page=1>; rel="first", <https://api.github.com/user/repos?page=2>; rel="prev"`}, `[]`, nil},
		{"next_cursor", get("/v1/items", q("cursor", "old")), nil, `{"items":[1],"next_cursor":"c2"}`,
			&pageHint{Style: "next_cursor", Endpoint: "/v1/items", Parameters: []client.Parameter{q("cursor", "c2")}, items: "items"}},
		{"gmail nextPageToken", get("/gmail/v1/users/me/messages?maxResults=500"), nil, `{"messages":[{"id":"a"}],"nextPageToken":"t2","resultSizeEstimate":9}`,
			&pageHint{Style: "nextPageToken", Endpoint: "/gmail/v1/users/me/messages?maxResults=500", Parameters: []client.Parameter{q("pageToken", "t2")}, items: "messages"}},
		{"token in the endpoint's query", get("/x?pageToken=t1&a=b"), nil, `{"items":[],"nextPageToken":"t2"}`,
			&pageHint{Style: "nextPageToken", Endpoint: "/x?a=b", Parameters: []client.Parameter{q("pageToken", "t2")}, items: "items"}},
		{"next_page_token", get("/zoom/users"), nil, `{"users":[],"next_page_token":"z"}`,
			&pageHint{Style: "next_page_token", Endpoint: "/zoom/users", Parameters: []client.Parameter{q("page_token", "z")}, items: "users"}},
		{"cursor and has_more", get("/list"), nil, `{"entries":[],"cursor":"k","has_more":true}`,
			&pageHint{Style: "cursor", Endpoint: "/list", Parameters: []client.Parameter{q("cursor", "k")}, items: "entries"}},
		{"cursor, no more", get("/list"), nil, `{"entries":[],"cursor":"k","has_more":false}`, nil},
		{"paging.next url", get("/me/feed"), nil, `{"data":[],"paging":{"next":"https://graph.facebook.com/v19.0/me/feed?after=QVF&limit=25"}}`,
			&pageHint{Style: "paging.next", Endpoint: "/me/feed", Parameters: []client.Parameter{q("after", "QVF"), q("limit", "25")}, items: "data"}},
		{"paging.next.after", get("/crm/v3/objects/contacts"), nil, `{"results":[],"paging":{"next":{"after":"101","link":"…"}}}`,
			&pageHint{Style: "paging.next", Endpoint: "/crm/v3/objects/contacts", Parameters: []client.Parameter{q("after", "101")}, items: "results"}},
		{"slack", get("/conversations.history?channel=C1"), nil, `{"ok":true,"messages":[],"has_more":true,"response_metadata":{"next_cursor":"dXNlcjpVMEc5V0ZYTlo="}}`,
			&pageHint{Style: "slack", Endpoint: "/conversations.history?channel=C1", Parameters: []client.Parameter{q("cursor", "dXNlcjpVMEc5V0ZYTlo=")}, items: "messages"}},
		{"slack, last page", get("/conversations.history"), nil, `{"ok":true,"messages":[],"has_more":false,"response_metadata":{"next_cursor":""}}`, nil},
		{"notion query (POST body)", &client.ProxyRequest{Endpoint: "/v1/databases/d/query", Method: "POST", Body: json.RawMessage(`{"page_size":50}`)}, nil, `{"object":"list","results":[],"next_cursor":"n2","has_more":true}`,
			&pageHint{Style: "notion", Endpoint: "/v1/databases/d/query", Body: json.RawMessage(`{"page_size":50,"start_cursor":"n2"}`), items: "results"}},
		{"notion GET", get("/v1/users"), nil, `{"object":"list","results":[],"next_cursor":"u2","has_more":true}`,
			&pageHint{Style: "notion", Endpoint: "/v1/users", Parameters: []client.Parameter{q("start_cursor", "u2")}, items: "results"}},
		{"notion, last page", get("/v1/users"), nil, `{"object":"list","results":[],"next_cursor":null,"has_more":false}`, nil},
		{"stripe", get("/v1/customers?limit=3"), nil, `{"object":"list","data":[{"id":"cus_1"},{"id":"cus_3"}],"has_more":true}`,
			&pageHint{Style: "stripe", Endpoint: "/v1/customers?limit=3", Parameters: []client.Parameter{q("starting_after", "cus_3")}, items: "data"}},
		{"stripe, last page", get("/v1/customers"), nil, `{"object":"list","data":[{"id":"cus_1"}],"has_more":false}`, nil},
		{"plain object", get("/user"), nil, `{"login":"octocat"}`, nil},
	} {
		got := nextPage(tc.call, &client.ProxyResponse{Status: 200, Headers: tc.headers, Data: json.RawMessage(tc.data)})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
	if h := nextPage(get("/x"), &client.ProxyResponse{Status: 404, Data: json.RawMessage(`{"next_cursor":"c"}`)}); h != nil {
		t.Errorf("an error answer has a next page: %+v", h)
	}
}
