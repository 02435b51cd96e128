package composiotest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// proxyCall is a validated proxy_execute body.
type proxyCall struct {
	toolkit, endpoint, method string
	body                      json.RawMessage // nil when absent, "null" when null
	binary                    *client.BinaryBody
	binaryBytes               int // decoded length of a base64 upload
	params                    []client.Parameter
}

// handleProxy serves POST /api/v3/tool_router/session/{id}/proxy_execute, checking what
// Composio checks, in the order it answers: session, body, size, connection, origin.
func (s *Server) handleProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	if s.latency > 0 && !sleep(r, s.latency) {
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		s.badRequest(w, "Invalid request body", "body: expected a JSON object")
		return
	}
	call, errs := validateProxy(fields)
	s.recordProxy(raw, fields, call, len(errs) == 0)

	ss, ok := s.lookupSession(w, r.PathValue("id"))
	if !ok {
		return
	}
	if len(errs) > 0 {
		s.badRequest(w, "Invalid request body", errs...)
		return
	}
	if call.binaryBytes > MaxBase64Bytes {
		s.writeError(w, apiError{
			HTTP: http.StatusRequestEntityTooLarge, Code: 10413, Slug: "HTTP_PayloadTooLarge",
			Message:      fmt.Sprintf("binary_body.base64 decodes to %d bytes, over the %d byte limit", call.binaryBytes, MaxBase64Bytes),
			SuggestedFix: "Upload the file by URL (binary_body.url) instead.",
		})
		return
	}
	info, known := lookupToolkit(call.toolkit)
	s.mu.Lock()
	accountID := s.proxyAccount(&ss, call.toolkit)
	connected := known && slices.Contains(ss.toolkits, call.toolkit) && (info.NoAuth || accountID != "")
	if connected {
		s.noteProxyAccount(accountID)
	}
	s.mu.Unlock()
	if !connected {
		s.writeError(w, apiError{
			HTTP: http.StatusBadRequest, Code: 4302, Slug: client.SlugNoActiveConnection,
			Message: fmt.Sprintf("No active connection found for toolkit(s) '%s' in this session", call.toolkit),
			SuggestedFix: fmt.Sprintf("Connect a %s account for user %s: create a link with POST /api/v3/tool_router/session/%s/link "+
				`{"toolkit":"%s"}, open its redirect_url, then retry.`, call.toolkit, ss.userID, ss.id, call.toolkit),
		})
		return
	}
	target, err := resolveEndpoint(info.BaseURL, call.endpoint)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code":    client.SlugOriginMismatch,
			"message": err.Error(),
		}})
		return
	}
	s.upstream(w, r, call, target)
}

// recordProxy keeps the decoded body for ProxyRequests. A valid call is rebuilt from
// its checked fields rather than decoded again: with a 4 MB upload, every JSON pass
// counts.
func (s *Server) recordProxy(raw []byte, fields map[string]json.RawMessage, c proxyCall, valid bool) {
	s.mu.Lock()
	keep := s.maxRecorded
	s.mu.Unlock()
	if keep == 0 {
		return
	}
	var p client.ProxyRequest
	if valid {
		p = client.ProxyRequest{
			ToolkitSlug: c.toolkit, Endpoint: c.endpoint, Method: c.method,
			Body: c.body, BinaryBody: c.binary, Parameters: c.params,
			CustomConnectionData: fields["custom_connection_data"],
		}
	} else if json.Unmarshal(raw, &p) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proxyReqs = append(s.proxyReqs, p)
	if len(s.proxyReqs) > s.maxRecorded {
		s.proxyReqs = slices.Delete(s.proxyReqs, 0, len(s.proxyReqs)-s.maxRecorded)
	}
}

// sleep waits d or until the client goes away, and reports whether it waited it all.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// validateProxy checks a proxy_execute body field by field, as Composio's schema does,
// and names every field at fault.
func validateProxy(f map[string]json.RawMessage) (proxyCall, []string) {
	var c proxyCall
	var errs []string
	str := func(name string, dst *string) {
		raw, ok := f[name]
		if !ok || string(raw) == "null" {
			errs = append(errs, name+": Required")
			return
		}
		if json.Unmarshal(raw, dst) != nil {
			errs = append(errs, fmt.Sprintf("%s: Expected string, received %s", name, jsonKind(raw)))
			return
		}
		if *dst == "" {
			errs = append(errs, name+": must not be empty")
		}
	}
	str("toolkit_slug", &c.toolkit)
	str("endpoint", &c.endpoint)
	str("method", &c.method)
	if c.method != "" && !slices.Contains(client.Methods(), c.method) {
		errs = append(errs, fmt.Sprintf("method: Invalid enum value. Expected 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD', received '%s'", c.method))
	}
	if raw, ok := f["body"]; ok {
		if k := jsonKind(raw); k != "object" && k != "null" {
			errs = append(errs, "body: Expected object, received "+k)
		}
		c.body = raw
	}
	if raw, ok := f["binary_body"]; ok && string(raw) != "null" {
		var err string
		c.binary, c.binaryBytes, err = validateBinary(raw)
		if err != "" {
			errs = append(errs, err)
		}
	}
	if raw, ok := f["parameters"]; ok && string(raw) != "null" {
		var perrs []string
		c.params, perrs = validateParams(raw)
		errs = append(errs, perrs...)
	}
	return c, errs
}

func validateBinary(raw json.RawMessage) (*client.BinaryBody, int, string) {
	if jsonKind(raw) != "object" {
		return nil, 0, "binary_body: Expected object, received " + jsonKind(raw)
	}
	var b client.BinaryBody
	if json.Unmarshal(raw, &b) != nil {
		return nil, 0, "binary_body: url, base64 and content_type must be strings"
	}
	switch {
	case (b.URL == "") == (b.Base64 == ""):
		return nil, 0, "binary_body: Provide exactly one of url or base64"
	case b.URL != "":
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, 0, "binary_body.url: Invalid url"
		}
		return &b, 0, ""
	}
	// The decoded length is known from the encoded one, so a huge upload is refused
	// without decoding it.
	if n := base64.StdEncoding.DecodedLen(len(b.Base64)); n > MaxBase64Bytes+3 {
		return &b, n, ""
	}
	data, err := base64.StdEncoding.DecodeString(b.Base64)
	if err != nil {
		return nil, 0, "binary_body.base64: Invalid base64"
	}
	return &b, len(data), ""
}

func validateParams(raw json.RawMessage) ([]client.Parameter, []string) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, []string{"parameters: Expected array of objects, received " + jsonKind(raw)}
	}
	var out []client.Parameter
	var errs []string
	for i, it := range items {
		var p client.Parameter
		for _, f := range []struct {
			name string
			dst  *string
		}{{"name", &p.Name}, {"value", &p.Value}, {"type", &p.Type}} {
			v, ok := it[f.name]
			if !ok {
				errs = append(errs, fmt.Sprintf("parameters[%d].%s: Required", i, f.name))
				continue
			}
			if json.Unmarshal(v, f.dst) != nil {
				errs = append(errs, fmt.Sprintf("parameters[%d].%s: Expected string, received %s", i, f.name, jsonKind(v)))
			}
		}
		if _, ok := it["name"]; ok && p.Name == "" {
			errs = append(errs, fmt.Sprintf("parameters[%d].name: must not be empty", i))
		}
		if p.Type != "" && p.Type != "header" && p.Type != "query" {
			errs = append(errs, fmt.Sprintf("parameters[%d].type: Invalid enum value. Expected 'header' | 'query', received '%s'", i, p.Type))
		}
		out = append(out, p)
	}
	return out, errs
}

// jsonKind names the kind of a JSON value the way validation messages do.
func jsonKind(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "undefined"
	}
	switch s[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// resolveEndpoint returns the upstream URL of endpoint, relative to base or absolute.
// An absolute endpoint must have base's scheme and registrable domain, as Composio
// requires since April 2026: its guard against sending the user's credential to a
// foreign host (or over plain HTTP).
func resolveEndpoint(base, endpoint string) (*url.URL, error) {
	b, _ := url.Parse(base)
	e, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("Endpoint '%s' is not a valid URL", endpoint)
	}
	if e.Scheme == "" && e.Host == "" {
		// A relative endpoint extends the base URL's path.
		u := *b
		u.Path = strings.TrimSuffix(b.Path, "/") + "/" + strings.TrimPrefix(e.Path, "/")
		u.RawQuery = e.RawQuery
		return &u, nil
	}
	if !sameOrigin(b, e) {
		return nil, fmt.Errorf("Endpoint origin '%s://%s' does not match the connected account's base URL '%s'", e.Scheme, e.Host, base)
	}
	return e, nil
}

// sameOrigin reports whether u may be called with the credential of an account
// whose base URL is base: the same scheme and the same registrable domain (ports
// are not compared).
func sameOrigin(base, u *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) &&
		registrableDomain(u.Hostname()) == registrableDomain(base.Hostname())
}

// secondLevelLabels are labels under which a country-code TLD sells domains, as in
// example.co.uk or example.com.au.
var secondLevelLabels = []string{"ac", "co", "com", "edu", "gov", "net", "org"}

// registrableDomain approximates the public-suffix rule without the public suffix
// list (golang.org/x/net/publicsuffix is no dependency of this module): the last
// two labels of a host, or the last three when the host ends in a two-letter
// country-code TLD under one of secondLevelLabels. IP addresses and single labels
// stand for themselves. That is right for every base URL the fake knows and for the
// common look-alikes (evil-github.com, github.com.evil.io).
func registrableDomain(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(host) != nil {
		return host
	}
	labels := strings.Split(host, ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 && slices.Contains(secondLevelLabels, labels[len(labels)-2]) {
		n = 3
	}
	if len(labels) <= n {
		return host
	}
	return strings.Join(labels[len(labels)-n:], ".")
}
