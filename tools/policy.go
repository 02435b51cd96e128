package tools

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// Policy limits what an agent may do through proxy_execute. The zero value
// is the safe default: any toolkit and method, but no absolute-URL endpoints,
// no custom connection data, and never a credential header in parameters.
type Policy struct {
	// Toolkits, when non-empty, are the only toolkit slugs allowed.
	Toolkits []string
	// Methods, when non-empty, are the only HTTP methods allowed.
	Methods []string
	// AllowAbsoluteURLs permits endpoints that name a host. Off by default:
	// Composio attaches the user's credential to whatever host is named, so a
	// prompt-injected agent could aim it at a host of the attacker's choosing.
	AllowAbsoluteURLs bool
	// AllowCustomConnectionData permits custom_connection_data, which carries
	// raw credentials and which Composio itself deprecates.
	AllowCustomConnectionData bool
}

// credentialHeaders are refused as parameters: they would replace the
// credential Composio injects (or leak one the agent was told), and a model
// that sets them is almost always mistaken.
var credentialHeaders = []string{"authorization", "proxy-authorization", "x-api-key", "x-user-api-key", "cookie"}

// ReadOnlyMethods returns the methods that read without changing anything;
// the slice is the caller's own.
func ReadOnlyMethods() []string { return []string{"GET", "HEAD"} }

// methods is the allowed method list, in Composio's order.
func (p Policy) methods() []string {
	if len(p.Methods) == 0 {
		return client.Methods()
	}
	var out []string
	for _, m := range client.Methods() {
		if slices.Contains(p.Methods, m) {
			out = append(out, m)
		}
	}
	return out
}

// ReadOnly reports whether the policy allows only reading methods.
func (p Policy) ReadOnly() bool {
	for _, m := range p.methods() {
		if !slices.Contains(ReadOnlyMethods(), m) {
			return false
		}
	}
	return true
}

// Validate reports a policy that can allow nothing, or names an unknown method.
func (p Policy) Validate() error {
	for _, m := range p.Methods {
		if !slices.Contains(client.Methods(), m) {
			return fmt.Errorf("method %q is not one of %s", m, strings.Join(client.Methods(), ", "))
		}
	}
	if len(p.Methods) > 0 && len(p.methods()) == 0 {
		return fmt.Errorf("no method is allowed")
	}
	return nil
}

// check returns the rules a well-formed call breaks, as an *argError, or nil.
func (p Policy) check(call *client.ProxyRequest) error {
	var errs argError
	if len(p.Toolkits) > 0 && !slices.Contains(p.Toolkits, strings.ToLower(call.ToolkitSlug)) {
		errs.add("toolkit_slug", "%q is not allowed on this server; allowed toolkits: %s", call.ToolkitSlug, strings.Join(p.Toolkits, ", "))
	}
	if allowed := p.methods(); !slices.Contains(allowed, call.Method) {
		errs.add("method", "%s is not allowed on this server (it allows %s only)", call.Method, strings.Join(allowed, ", "))
	}
	if bad := endpointControl(call.Endpoint); bad != "" {
		errs.add("endpoint", "contains %s, which is refused: URL parsers drop or reinterpret it, so the path sent is not the path shown; percent-encode it (a backslash is %%5C) or leave it out", bad)
	} else if !p.AllowAbsoluteURLs && isAbsolute(call.Endpoint) {
		errs.add("endpoint", "absolute URLs are refused on this server, because the user's credential would be sent to the host named; give a path relative to the %s API's base URL, such as \"/users/me\"", call.ToolkitSlug)
	}
	for i, prm := range call.Parameters {
		if prm.Type == "header" && slices.Contains(credentialHeaders, strings.ToLower(prm.Name)) {
			errs.add(fmt.Sprintf("parameters[%d]", i), "the %s header is refused: Composio injects the connected account's credential, and setting your own replaces it (usually a 401)", prm.Name)
		}
	}
	if call.CustomConnectionData != nil && !p.AllowCustomConnectionData {
		errs.add("custom_connection_data", "refused on this server: it carries raw credentials and is deprecated; the connected account's credential is used instead, so leave it out")
	}
	if len(errs.problems) == 0 {
		return nil
	}
	errs.policy = true
	return &errs
}

// endpointControl names the first character of an endpoint that URL parsers
// treat specially without showing it — a backslash (a slash to a WHATWG parser,
// on http and https), a control character (tab, CR and LF are silently removed;
// others are trimmed or kept) — or returns "" if there is none.
func endpointControl(endpoint string) string {
	for _, r := range endpoint {
		switch {
		case r == '\\':
			return "a backslash"
		case r < 0x20 || r == 0x7f:
			return fmt.Sprintf("a control character (U+%04X)", r)
		}
	}
	return ""
}

// guardBase is the base an endpoint is resolved against to see whether it
// keeps the API's host. Any special-scheme URL works; .invalid never resolves.
var guardBase = &url.URL{Scheme: "https", Host: "dummy.invalid", Path: "/base/"}

// whatwgNormalize does to an endpoint what a WHATWG URL parser (used by many
// HTTP stacks) does before it looks at the structure:
// leading and trailing C0 controls and spaces are trimmed, ASCII tab, LF and
// CR are removed wherever they are, and, because the base is http(s), a
// backslash is a slash. Without this, `/\evil.com` or "/\t/evil.com" looks like
// a path to net/url and is a host to the parser that finally sends it.
func whatwgNormalize(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 })
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, s)
	return s
}

// isAbsolute reports whether an endpoint names a host rather than a path: it
// does unless, normalised as a WHATWG parser would, it has no scheme, no
// authority, and resolves against a fixed base to that base's host.
// Anything net/url cannot parse counts as absolute, except a stray percent
// sign, which a WHATWG parser leaves alone and which cannot make a scheme or
// an authority.
func isAbsolute(endpoint string) bool {
	e := strings.ReplaceAll(whatwgNormalize(endpoint), "%", "%25")
	u, err := url.Parse(e)
	if err != nil {
		return true
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return true
	}
	r := guardBase.ResolveReference(u)
	return r.Scheme != guardBase.Scheme || r.Host != guardBase.Host || r.User != nil
}
