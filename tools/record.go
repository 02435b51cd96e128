package tools

import (
	"context"
	"errors"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// callRecord is what one tool call did upstream, filled in by the tool as it
// runs so that an audit log can describe the call without seeing its
// arguments' bodies or its credentials. It holds no request or response body.
type callRecord struct {
	// Toolkit, Method and Endpoint are the call's target: as the model gave
	// it (filled by the tool's argument decoder, even when nothing is sent),
	// then as sent. Endpoint may carry a query string, which an audit log
	// must redact.
	Toolkit, Method, Endpoint string
	// Status is the third-party API's status for proxy_execute, or Composio's
	// HTTP status when Composio itself failed the call or for the other tools.
	Status int
	// Attempts counts the requests sent to Composio: the client's retries,
	// and the repeat after a session was replaced.
	Attempts int
	// RequestID is Composio's request id of the last attempt.
	RequestID string
	// Bytes is the size of the upstream response body as Composio passed it on.
	Bytes int
	// Slug is Composio's error slug when Composio failed the call.
	Slug string
	// Failure says why the last attempt got no success answer from Composio:
	// "" when it got one (the upstream status may still be an error),
	// failureComposio or failureNoAnswer.
	Failure string
}

// Values of callRecord.Failure.
const (
	// failureComposio is a call that Composio answered with its own error.
	failureComposio = "composio"
	// failureNoAnswer is a call that got no answer: a network failure, a
	// timeout, or a cancellation.
	failureNoAnswer = "no_answer"
)

type recordKey struct{}

// withCallRecord returns a context that carries a new, empty callRecord, and
// the record. The tools fill the record of the context they are called with;
// read it once the handler has returned.
func withCallRecord(ctx context.Context) (context.Context, *callRecord) {
	rec := new(callRecord)
	return context.WithValue(ctx, recordKey{}, rec), rec
}

// recordFrom returns the context's record, or nil; every method of
// *callRecord accepts nil, so tools need not check.
func recordFrom(ctx context.Context) *callRecord {
	rec, _ := ctx.Value(recordKey{}).(*callRecord)
	return rec
}

// observeProxy records one proxy_execute attempt.
func (r *callRecord) observeProxy(req *client.ProxyRequest, resp *client.ProxyResponse, err error) {
	if r == nil {
		return
	}
	r.Toolkit, r.Method, r.Endpoint = req.ToolkitSlug, req.Method, req.Endpoint
	if resp != nil {
		r.Attempts += max(resp.Attempts, 1)
		r.Status, r.RequestID, r.Bytes, r.Slug, r.Failure = resp.Status, resp.RequestID, len(resp.Data), "", ""
		return
	}
	r.Attempts += max(client.Attempts(err), 1)
	r.observeError(err)
}

// observe records one attempt of a call other than proxy_execute: endpoint is
// the Composio API path it used, status Composio's answer on success.
func (r *callRecord) observe(toolkit, method, endpoint string, status int, err error) {
	if r == nil {
		return
	}
	r.Toolkit, r.Method, r.Endpoint = toolkit, method, endpoint
	r.Attempts += max(client.Attempts(err), 1)
	r.Status, r.RequestID, r.Bytes, r.Slug, r.Failure = status, "", 0, "", ""
	if err != nil {
		r.observeError(err)
	}
}

func (r *callRecord) observeError(err error) {
	r.Status, r.RequestID, r.Bytes, r.Slug, r.Failure = 0, "", 0, "", failureNoAnswer
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		r.Status, r.RequestID, r.Slug, r.Failure = apiErr.HTTPStatus, apiErr.RequestID, apiErr.Slug, failureComposio
	}
}

// describe records the call's target as its arguments ask for it, before
// anything is sent; an attempt overwrites it with the request as sent.
func (r *callRecord) describe(toolkit, method, endpoint string) {
	if r == nil {
		return
	}
	r.Toolkit, r.Method, r.Endpoint = toolkit, method, endpoint
}
