package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// An upstream error arrives as a result with Status set; a Composio error is an
// *APIError whose Slug says what to do.
func ExampleClient_ProxyExecute() {
	srv := composiotest.NewServer()
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithAPIKey(composiotest.APIKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	resp, err := c.ProxyExecute(ctx, composiotest.SessionID, &client.ProxyRequest{
		ToolkitSlug: "github", Endpoint: "/status/404", Method: "GET",
	})
	fmt.Println(resp.Status, err)

	_, err = c.ProxyExecute(ctx, composiotest.SessionID, &client.ProxyRequest{
		ToolkitSlug: "slack", Endpoint: "/conversations.list", Method: "GET",
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.HTTPStatus, apiErr.Slug)
	}
	// Output:
	// 404 <nil>
	// 400 ToolRouterV2_NoActiveConnection
}
