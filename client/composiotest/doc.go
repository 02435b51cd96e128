// Package composiotest is a fake Composio backend: the tool-router session API and
// proxy_execute, answering as composio-api.md describes, over real HTTP. Tests and
// examples use it, and so does the server's --sandbox mode, which is why it uses no
// net/http/httptest and no testing.
//
//	srv := composiotest.NewServer()
//	defer srv.Close()
//	c, _ := srv.Client()
//	resp, err := c.ProxyExecute(ctx, composiotest.SessionID, &client.ProxyRequest{
//		ToolkitSlug: "github", Endpoint: "/status/404", Method: "GET",
//	})
//	// err == nil, resp.Status == 404: an upstream error is not a Composio error.
//
// # State
//
// Session SessionID belongs to UserID, with github, gmail and slack enabled; UserID has
// github and gmail connected, not slack. Any other user starts with github connected.
// Creating a link and opening its redirect_url connects a toolkit; Connect, Disconnect
// and ExpireSession change the state directly, Reset restores it.
//
// # Checks, as Composio makes them
//
//   - Auth: exactly one of x-api-key and x-user-api-key, else 401 HTTP_Unauthorized
//     (10401), with "Multiple authentication modes were provided" for both.
//   - Unknown session: 404 ToolRouterV2_SessionNotFound.
//   - Bodies over MaxRequestBytes: 413; binary_body.base64 over MaxBase64Bytes decoded: 413.
//   - Invalid proxy_execute body: 400 ToolRouterV2_BadRequest (4300), errors naming fields.
//   - Toolkit not enabled or not connected: 400 ToolRouterV2_NoActiveConnection (4302).
//   - Absolute endpoint on a foreign domain: 400 {"error":{"code":"OriginMismatch",…}}.
//
// # Simulated upstream
//
// proxy_execute is answered by the endpoint's path:
//
//   - /status/{code}: "status": code, data {"message": <status text>, "documentation_url"}.
//   - /bytes/{n}: data {"size": n, "payload": "…"}, about n bytes encoded.
//   - /delay/{ms}: waits (until the client goes away), then echoes.
//   - /download/{name}: data {} and binary_data with a signed URL served at /files/{name}.
//   - /text: data is a JSON string, content-type text/plain.
//   - /html502: Composio itself answers HTTP 502 with a 3 KB HTML page.
//   - /ratelimit: HTTP 429 envelope, Retry-After: 1; /ratelimit-bare: HTTP 429 with a bare
//     {"message"} body, Retry-After: 2.
//   - anything else: echo of what the upstream would receive (toolkit, method, endpoint,
//     query, headers, body, binary_body), status 200 (201 for POST).
package composiotest
