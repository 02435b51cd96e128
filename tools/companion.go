package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Names of the companion tools, which help a model get proxy_execute working:
// see which toolkits it can use, and connect the ones it cannot yet.
const (
	ListToolkitsName   = "list_toolkits"
	ConnectToolkitName = "connect_toolkit"
)

// Names lists every tool this package serves, in the order they are listed.
var Names = []string{ProxyExecuteName, ListToolkitsName, ConnectToolkitName}

// rawArguments returns a call's arguments as JSON: the raw bytes a client
// sent, or, for in-process clients that hand over decoded arguments, those
// encoded again. No arguments at all read as {}.
func rawArguments(req mcp.CallToolRequest) ([]byte, error) {
	raw := bytes.TrimSpace(req.Params.RawArguments)
	if len(raw) == 0 && req.Params.Arguments != nil {
		b, err := json.Marshal(req.Params.Arguments)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments: %w", err)
		}
		raw = b
	}
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("{}"), nil
	}
	return raw, nil
}

// decodeStrict decodes a call's arguments into v, naming every problem a
// model can fix: a non-object, an unknown field (with the known ones), a
// field of the wrong type.
func decodeStrict(raw []byte, v any, known ...string) error {
	var fields map[string]json.RawMessage
	if firstByte(raw) != '{' || json.Unmarshal(raw, &fields) != nil {
		return &argError{problems: []string{"arguments: want a JSON object"}}
	}
	var errs argError
	for name := range fields {
		if !slices.Contains(known, name) {
			errs.add(name, "unknown field; the fields are %s", strings.Join(known, ", "))
		}
	}
	if len(errs.problems) == 0 {
		if err := json.Unmarshal(raw, v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				errs.add(te.Field, "must be %s, got a JSON %s", jsonKind(te.Type.Kind()), te.Value)
			} else {
				errs.add("arguments", "%v", err)
			}
		}
	}
	if len(errs.problems) > 0 {
		sort.Strings(errs.problems)
		return &errs
	}
	return nil
}

// jsonKind names the JSON type a Go field of kind k takes.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a number"
}

// tenantFor resolves the call's tenant; a nil Tenants is a programming error
// in the wiring, reported as such.
func tenantFor(ctx context.Context, tenants Tenants, header http.Header) (Tenant, error) {
	if tenants == nil {
		return Tenant{}, errors.New("this server is misconfigured: the tool has no Composio client")
	}
	return tenants.Tenant(ctx, header)
}

// companionErrorResult maps a failed Composio call of list_toolkits or
// connect_toolkit (what names the action, e.g. "Listing toolkits") to an error
// result that says what to do.
func companionErrorResult(what string, err error) *mcp.CallToolResult {
	var apiErr *client.APIError
	var timeout *client.TimeoutError
	var redirect *client.RedirectError
	var busy *client.BusyError
	switch {
	case errors.As(err, &redirect):
		return errorResult(what + " failed. " + redirectText(redirect) + " Retrying will not help.")
	case errors.As(err, &busy):
		return errorResult(what + " failed. " + busyText(busy) + " Retry in a few seconds.")
	case errors.As(err, &apiErr):
		var b strings.Builder
		fmt.Fprintf(&b, "%s failed: Composio answered HTTP %d", what, apiErr.HTTPStatus)
		if apiErr.Slug != "" {
			b.WriteString(" " + apiErr.Slug)
		}
		if apiErr.Message != "" {
			b.WriteString(": " + apiErr.Message)
		}
		if len(apiErr.Errors) > 0 {
			b.WriteString("\nErrors:\n- " + strings.Join(apiErr.Errors, "\n- "))
		}
		if apiErr.RequestID != "" {
			b.WriteString("\nRequest ID: " + apiErr.RequestID)
		}
		if next := companionNextStep(apiErr); next != "" {
			b.WriteString("\nWhat to do: " + next)
		}
		return errorResult(b.String())
	case errors.As(err, &timeout):
		return errorResult(fmt.Sprintf("%s failed: no answer from Composio within %s. Retrying is safe.", what, timeout.After))
	case errors.Is(err, context.Canceled):
		return errorResult(what + " was cancelled before Composio answered.")
	case errors.Is(err, syscall.ECONNREFUSED):
		return errorResult(fmt.Sprintf("%s failed: could not connect to Composio (%v). The server's COMPOSIO_BASE_URL or the network may be wrong.", what, err))
	}
	return errorResult(fmt.Sprintf("%s failed: %v. Retrying is safe.", what, err))
}

func companionNextStep(e *client.APIError) string {
	switch {
	case e.Slug == client.SlugSessionNotFound:
		return sessionNotFoundStep
	case e.HTTPStatus == http.StatusUnauthorized:
		return "the Composio credentials were rejected. The operator must set a valid COMPOSIO_API_KEY (or, on a multi-tenant server, the client must send a valid X-Composio-Api-Key); retrying will not help."
	case e.HTTPStatus == http.StatusForbidden:
		return "the Composio API key lacks a permission this call needs. The operator must grant it."
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "Composio's rate limit was hit. Wait " + retryAfterText(e.RetryAfter) + ", then call again."
	case e.HTTPStatus == http.StatusBadRequest:
		return "fix what the errors above name; list_toolkits shows the toolkits of this session."
	case e.HTTPStatus >= 500:
		return "Composio failed on its side; retrying later may help."
	}
	return ""
}

// sessionNotFoundStep is what to do about an expired session that the server
// could not replace: it replaces sessions itself only when it knows the user.
const sessionNotFoundStep = "the tool-router session has expired or does not exist, and this server cannot create a new one because it does not know the Composio user id. The operator must set COMPOSIO_USER_ID (or --user-id; on a multi-tenant server the client sends X-Composio-User-Id instead of X-Composio-Session-Id) so that the server creates and renews sessions itself, or give it a new session id. Retrying will not help until then."

// orDiscard returns l, or a logger that discards when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}
