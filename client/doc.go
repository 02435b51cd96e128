// Package client is an HTTP client for Composio's tool-router API: proxy_execute, which
// calls a third-party API with a user's connected account, and the session calls around
// it (create, get, list toolkits, link an account, delete).
//
// It uses only the standard library and knows nothing of MCP, so it can be used, and
// tested, on its own. The package composiotest holds a fake Composio backend.
//
// Two kinds of failure are kept apart on purpose. A third-party error (say GitHub's 404)
// is not a Go error: Composio answers HTTP 200 and the upstream status is in
// ProxyResponse.Status. A failure of Composio itself (a bad key, an expired session, an
// account not connected, a rate limit) is an *APIError, whose Slug names the kind:
//
//	c, err := client.New(client.WithAPIKey(os.Getenv("COMPOSIO_API_KEY")))
//	if err != nil {
//		return err
//	}
//	resp, err := c.ProxyExecute(ctx, sessionID, &client.ProxyRequest{
//		ToolkitSlug: "github",
//		Endpoint:    "/user",
//		Method:      "GET",
//	})
//	switch {
//	case errors.Is(err, &client.APIError{Slug: client.SlugSessionNotFound}):
//		// recreate the session once and retry
//	case err != nil:
//		return err
//	case resp.Status >= 400:
//		// GitHub said no; resp.Data holds its error body
//	}
//
// A call that outlives the client's timeout (WithTimeout) fails with *TimeoutError; one
// whose context the caller cancelled fails with the context's error.
package client
