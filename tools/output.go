package tools

import (
	"bytes"
	"encoding/json"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/rawjson"
)

// marshalOutput is json.Marshal(out), byte for byte, without the pass that
// encoding/json makes over out.Data to re-compact it: the upstream data,
// already compact as Composio sends it, is copied as it is. For a 256 KiB
// response that pass was most of the cost of mapping the result.
func marshalOutput(out proxyOutput) ([]byte, error) {
	data := out.Data
	if len(data) == 0 || !rawjson.IsCompact(data) {
		return json.Marshal(out)
	}
	out.Data = nil
	rest, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	// json.Marshal writes the fields in order, status (a number) first: data
	// goes right after it.
	const head = len(`{"status":`)
	i := head + bytes.IndexAny(rest[head:], ",}")
	b := make([]byte, 0, len(rest)+len(`,"data":`)+len(data))
	b = append(b, rest[:i]...)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, rest[i:]...), nil
}
