package composiotest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
)

// Connecting an account: create a link, open its URL, and the toolkit works.
func ExampleServer_link() {
	srv := composiotest.NewServer()
	defer srv.Close()
	c, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	slack := &client.ProxyRequest{ToolkitSlug: "slack", Endpoint: "/auth.test", Method: "POST"}

	_, err = c.ProxyExecute(ctx, composiotest.SessionID, slack)
	fmt.Println(err)

	link, err := c.CreateLink(ctx, composiotest.SessionID, &client.LinkRequest{Toolkit: "slack"})
	if err != nil {
		log.Fatal(err)
	}
	page, err := http.Get(link.RedirectURL) // what the user would open in a browser
	if err != nil {
		log.Fatal(err)
	}
	page.Body.Close()

	resp, err := c.ProxyExecute(ctx, composiotest.SessionID, slack)
	fmt.Println(resp.Status, err)
	// Output:
	// composio: HTTP 400 ToolRouterV2_NoActiveConnection (code 4302): No active connection found for toolkit(s) 'slack' in this session
	// 201 <nil>
}
