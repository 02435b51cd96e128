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
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Names of the companion tools, which help a model get proxy_execute working:
// see which toolkits it can use, and connect the ones it cannot yet.
const (
	ListToolkitsName   = "list_toolkits"
	ConnectToolkitName = "connect_toolkit"
)

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

// decodeArgs decodes a companion tool call's arguments into v, strictly: on
// success it returns nil, nil; an argument the model must fix is an isError
// result, and arguments that cannot be encoded again a Go error.
func decodeArgs(req mcp.CallToolRequest, v any, known ...string) (*mcp.CallToolResult, error) {
	raw, err := rawArguments(req)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(raw, v, known...); err != nil {
		return errorResult(err.Error()), nil
	}
	return nil, nil
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
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	}
	return "a number"
}

// companionTool is the definition of a companion tool: its input and
// output schemas reflected from in and out, and annotations for a tool that
// reaches Composio and changes no data in the user's accounts. readOnly
// also makes it idempotent.
func companionTool(name, title, description string, in, out any, readOnly bool) mcp.Tool {
	t := mcp.NewToolWithRawSchema(name, description, mustSchema(in))
	t.RawOutputSchema = mustSchema(out)
	t.Title = title
	t.Annotations = mcp.ToolAnnotation{
		Title:           t.Title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(false),
		IdempotentHint:  mcp.ToBoolPtr(readOnly),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
}

// companion is what both companion tools share: where their calls go and
// where they log.
type companion struct {
	tenants Tenants
	log     *slog.Logger
	// apiPrefix is the path prefix of the client's API version, for the
	// endpoints audit entries name.
	apiPrefix string
}

// newCompanion is what every companion tool shares of the env.
func newCompanion(e *env) companion {
	v := e.cfg.APIVersion
	if v == "" {
		v = client.APIv3
	}
	return companion{tenants: e.tenants, log: e.log, apiPrefix: "/api/" + string(v)}
}

// companionCall is one Composio request of a companion tool, as the audit
// record describes it: the Composio API path and the status of success.
type companionCall struct {
	tool                      string // for the log
	toolkit, method, endpoint string
	okStatus                  int
}

// run sends a companion tool's request in the caller's session, recording
// each attempt. A nil result with a nil error is success; an isError result
// is a failure the model can act on (what names the action, e.g. "Listing
// toolkits"); a Go error is a fault of the wiring.
func (c companion) run(ctx context.Context, header http.Header, what string, cc companionCall, send func(API, string) error) (*mcp.CallToolResult, error) {
	t, err := tenantFor(ctx, c.tenants, header)
	if errors.Is(err, errNoTenants) {
		return nil, err
	}
	if err != nil {
		return errorResult(err.Error()), nil
	}
	start := time.Now()
	rec := recordFrom(ctx)
	err = t.Sessions.Run(ctx, func(id string) error {
		err := send(t.Client, id)
		rec.observe(cc.toolkit, cc.method, cc.endpoint, cc.okStatus, err)
		return err
	})
	if err != nil {
		attrs := []any{"duration", time.Since(start).Round(time.Microsecond)}
		if cc.toolkit != "" {
			attrs = append([]any{"toolkit", cc.toolkit}, attrs...)
		}
		c.log.InfoContext(ctx, cc.tool+" failed", append(attrs, errorAttrs(err)...)...)
		return errorResult(failureText(failedOp{what: what}, err)), nil
	}
	return nil, nil
}

// textAndStructured is a successful result: its text, then the structured
// content as JSON, which the text repeats for clients that show only one.
func textAndStructured(text string, out any) (*mcp.CallToolResult, error) {
	structured, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding the result: %w", err)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text + "\n" + string(structured))},
		StructuredContent: json.RawMessage(structured),
	}, nil
}
