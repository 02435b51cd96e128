package tools

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

func TestPolicyRefusesWithoutSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy Policy
		args   string
		want   []string // empty: allowed
	}{
		{"default allows relative", Policy{}, `{"toolkit_slug":"github","endpoint":"/user","method":"DELETE"}`, nil},
		{"absolute url refused", Policy{}, `{"toolkit_slug":"github","endpoint":"https://evil.test/x","method":"GET"}`, []string{"endpoint: absolute URLs are refused"}},
		{"scheme-relative refused", Policy{}, `{"toolkit_slug":"github","endpoint":"//evil.test/x","method":"GET"}`, []string{"endpoint: absolute URLs are refused"}},
		{"backslash refused", Policy{}, `{"toolkit_slug":"github","endpoint":"/\\evil.com/x","method":"GET"}`, []string{"endpoint: contains a backslash, which is refused", "%5C"}},
		{"tab refused", Policy{}, `{"toolkit_slug":"github","endpoint":"/\t/evil.com/x","method":"GET"}`, []string{"endpoint: contains a control character (U+0009)"}},
		{"newline refused", Policy{}, `{"toolkit_slug":"github","endpoint":"/\n/evil.com/x","method":"GET"}`, []string{"endpoint: contains a control character (U+000A)"}},
		{"control refused with absolute urls allowed", Policy{AllowAbsoluteURLs: true}, `{"toolkit_slug":"github","endpoint":"/user\r\nX-Injected: 1","method":"GET"}`, []string{"endpoint: contains a control character (U+000D)"}},
		{"absolute url allowed", Policy{AllowAbsoluteURLs: true}, `{"toolkit_slug":"github","endpoint":"https://api.github.com/user","method":"GET"}`, nil},
		{"toolkit not allowed", Policy{Toolkits: []string{"gmail"}}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET"}`, []string{`toolkit_slug: "github" is not allowed`, "allowed toolkits: gmail"}},
		{"toolkit allowed any case", Policy{Toolkits: []string{"gmail"}}, `{"toolkit_slug":"Gmail","endpoint":"/x","method":"GET"}`, nil},
		{"read-only refuses POST", Policy{Methods: ReadOnlyMethods()}, `{"toolkit_slug":"github","endpoint":"/user","method":"post"}`, []string{"method: POST is not allowed on this server (it allows GET, HEAD only)"}},
		{"read-only allows HEAD", Policy{Methods: ReadOnlyMethods()}, `{"toolkit_slug":"github","endpoint":"/user","method":"HEAD"}`, nil},
		{"authorization header", Policy{}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"q","value":"1","type":"query"},{"name":"authorization","value":"Bearer x","type":"header"}]}`, []string{"parameters[1]: the authorization header is refused"}},
		{"cookie and api key headers", Policy{}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"Cookie","value":"a","type":"header"},{"name":"X-Api-Key","value":"b","type":"header"},{"name":"x-user-api-key","value":"c","type":"header"}]}`, []string{"parameters[0]", "parameters[1]", "parameters[2]"}},
		{"authorization as a query name is fine", Policy{}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","parameters":[{"name":"authorization","value":"x","type":"query"}]}`, nil},
		{"custom connection data refused", Policy{}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","custom_connection_data":{"val":{}}}`, []string{"custom_connection_data: refused"}},
		{"custom connection data allowed", Policy{AllowCustomConnectionData: true}, `{"toolkit_slug":"github","endpoint":"/user","method":"GET","custom_connection_data":{"val":{}}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 200}}
			pol := tt.policy
			for i, tk := range pol.Toolkits {
				pol.Toolkits[i] = strings.ToLower(tk)
			}
			res := call(t, testProxy(ex, "trs_test", Config{Policy: pol}), tt.args)
			if len(tt.want) == 0 {
				if res.IsError || len(ex.calls) != 1 {
					t.Fatalf("refused or not sent: %s", text(res))
				}
				return
			}
			if !res.IsError || len(ex.calls) != 0 {
				t.Fatalf("isError=%v, %d calls sent; want refused and none sent", res.IsError, len(ex.calls))
			}
			msg := text(res)
			if !strings.HasPrefix(msg, "refused by this server's policy, nothing was sent") {
				t.Errorf("message: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "Bearer x") {
				t.Errorf("message echoes a credential value: %s", msg)
			}
		})
	}
}

func TestPolicyShapesTheTool(t *testing.T) {
	t.Parallel()
	tool := proxyWith(Config{Policy: Policy{Toolkits: []string{"gmail", "github"}, Methods: ReadOnlyMethods()}}).Tool()
	var in struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(tool.RawInputSchema, &in); err != nil {
		t.Fatal(err)
	}
	if got := in.Properties["method"].Enum; !slices.Equal(got, []string{"GET", "HEAD"}) {
		t.Errorf("method enum = %v", got)
	}
	if got := in.Properties["toolkit_slug"].Enum; !slices.Equal(got, []string{"gmail", "github"}) {
		t.Errorf("toolkit enum = %v", got)
	}
	a := tool.Annotations
	if !*a.ReadOnlyHint || *a.DestructiveHint || !*a.IdempotentHint {
		t.Errorf("read-only annotations = readOnly %v destructive %v idempotent %v", *a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint)
	}
	// Without a policy, the tool is not read-only and every method is offered.
	def := proxyWith(Config{}).Tool()
	if *def.Annotations.ReadOnlyHint || !*def.Annotations.DestructiveHint {
		t.Errorf("default annotations: %+v", def.Annotations)
	}
	// Building one tool must not change another's schema.
	if string(def.RawInputSchema) == string(tool.RawInputSchema) || !strings.Contains(string(def.RawInputSchema), `"DELETE"`) {
		t.Errorf("default schema was changed by a policy")
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	if err := (Policy{Methods: []string{"FETCH"}}).Validate(); err == nil {
		t.Error("unknown method accepted")
	}
	if err := (Policy{Methods: []string{"GET"}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestIsAbsolute(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"/user": false, "user/repos": false, "/search?q=a:b": false, "users/me:batchGet": false,
		"https://api.github.com/user": true, "HTTP://x": true, "//evil.test/x": true, "ftp://x/y": true, `\\evil\x`: true,
		"mailto:a@b": true,
		// What a WHATWG parser resolves against https://api.github.com/ to
		// host evil.com, though net/url sees a path in each.
		`/\evil.com/x`: true, `\/evil.com/x`: true, "/\t/evil.com/x": true, "/\n/evil.com/x": true, "/\r/evil.com/x": true,
		" //evil.com/x": true, "\x00//evil.com": true, "\t\n//evil.com": true, "/\t\\evil.com": true,
		"https:evil.com": true, "https:/evil.com": true, "HTTPS://dummy.invalid/x": true, "//dummy.invalid/x": true,
		"/files/50%off": false, "/a@b/c": false, "/..//x": false, "?q=//evil.com": false, "#//evil.com": false,
		"": false, " /user ": false,
	} {
		if got := isAbsolute(in); got != want {
			t.Errorf("isAbsolute(%q) = %v, want %v", in, got, want)
		}
	}
}

// whatwgReference normalises an endpoint the way the WHATWG URL standard's
// basic parser does before it looks at the structure, written here apart from
// the guard's own code: leading and trailing C0 controls and spaces go, every
// ASCII tab, LF and CR goes, and (http and https being special schemes) a
// backslash is a slash. A percent sign that starts no valid escape is kept by
// WHATWG as it is, and is escaped here so that net/url parses it the same way.
func whatwgReference(s string) string {
	for len(s) > 0 && s[0] <= 0x20 {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= 0x20 {
		s = s[:len(s)-1]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\r':
		case '\\':
			b.WriteByte('/')
		case '%':
			b.WriteString("%25")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzEndpointGuard holds the guard to the rule: an endpoint it lets through
// as relative must, normalised as a WHATWG parser would, resolve against a
// fixed base to that base's host. The host test is fuzzed on its own, and the
// policy (which refuses backslashes and control characters as well) with it.
func FuzzEndpointGuard(f *testing.F) {
	for _, s := range []string{`/\evil.com/x`, `\/evil.com/x`, "/\t/evil.com/x", "/\n/evil.com/x", "/\r/evil.com/x",
		"/user", "users/me:batchGet", "//evil.com", "https://evil.com", "/files/50%off"} {
		f.Add(s)
	}
	base, err := url.Parse("https://dummy.invalid/base/")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		call := &client.ProxyRequest{ToolkitSlug: "github", Method: "GET", Endpoint: endpoint}
		if (Policy{}).check(call) == nil && strings.ContainsFunc(endpoint, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
			t.Fatalf("the policy accepted %q, which has a backslash or a control character", endpoint)
		}
		if isAbsolute(endpoint) {
			return // refused, and so by the policy too
		}
		ref, err := url.Parse(whatwgReference(endpoint))
		if err != nil {
			t.Fatalf("accepted %q, which net/url cannot parse once normalised: %v", endpoint, err)
		}
		if got := base.ResolveReference(ref); got.Scheme != "https" || got.Host != "dummy.invalid" {
			t.Fatalf("accepted %q, which resolves to %s", endpoint, got)
		}
	})
}
