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
//
// # Retries
//
// A failed call is repeated, up to WithMaxRetries times (2 by default), when repeating
// it is safe. What is safe depends on whether the call may already have taken effect,
// and for proxy_execute on the proxied method, since a POST to the third-party API must
// not be done twice:
//
//   - a Composio 429 (Composio documents that the call was not executed) and a refused
//     or failed connection (nothing was sent) are retried for any method;
//   - a Composio 502, 503 or 504, a timeout, and a connection cut before the answer
//     was complete are retried only for GET and HEAD, as Composio may have called the
//     third-party API already;
//   - nothing else is: not other 4xx and 5xx, not a decoding error, and never a
//     third-party error status, which arrives in ProxyResponse.Status of a success.
//
// The wait before a retry is the answer's Retry-After (or retry-after-ms) when it has
// one, else a random wait up to 0.5 s·2^n, at most 8 s. An answer asking for longer than
// WithRetryAfterCap (30 s by default) is returned at once instead of waited out, so a
// tool call never blocks for minutes: the caller finds the wait in APIError.RetryAfter.
// A retry whose wait would end after the context's deadline is not started, and
// cancelling the context stops the retries at once. WithTimeout bounds the whole call.
//
// A result says how many attempts it took in ProxyResponse.Attempts; an error from more
// than one attempt is an *AttemptsError (see Attempts), through which errors.Is and
// errors.As still find *APIError, *TimeoutError or syscall.ECONNREFUSED.
package client
