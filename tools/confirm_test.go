package tools

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// person answers elicitations as a test tells it to, and remembers what it
// was asked.
type person struct {
	action mcp.ElicitationResponseAction
	mu     sync.Mutex
	asked  []string
}

func (p *person) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, req.Params.Message)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: p.action}}, nil
}

const postIssue = `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues","method":"POST","body":{"title":"Hello"},"parameters":[{"name":"per_page","value":"5","type":"query"}]}`

func TestConfirmWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		action  mcp.ElicitationResponseAction // "" for a client without elicitation
		args    string
		sent    bool
		asked   bool
		isError bool
		want    string
	}{
		{"accept", mcp.ElicitationResponseActionAccept, postIssue, true, true, false, "HTTP 200"},
		{"decline", mcp.ElicitationResponseActionDecline, postIssue, false, true, true, "The person declined this call (POST /repos/o/r/issues on github), so nothing was sent"},
		{"cancel", mcp.ElicitationResponseActionCancel, postIssue, false, true, true, "dismissed the confirmation"},
		{"unsupported", "", postIssue, false, false, true, "--confirm-writes"},
		{"read needs no confirmation", mcp.ElicitationResponseActionDecline, getUser, true, false, false, "HTTP 200"},
		{"read on a client without elicitation", "", getUser, true, false, false, "HTTP 200"},
	} {
		for version, protocol := range protocols {
			t.Run(tc.name+"/"+version, func(t *testing.T) {
				t.Parallel()
				ex := &fakeExecutor{resp: &client.ProxyResponse{Status: 200}}
				p := testProxy(ex, "trs_test", Config{ConfirmWrites: true})
				who := &person{action: tc.action}
				opts := protocol
				if tc.action != "" {
					opts = append(opts[:len(opts):len(opts)], mcpclient.WithElicitationHandler(who))
				}
				mc := inProcess(t, p, opts...)
				if mc.ProtocolVersion() != version {
					t.Fatalf("the client speaks %s", mc.ProtocolVersion())
				}
				res := callArgs(t, mc, tc.args, nil)
				if res.IsError != tc.isError || !strings.Contains(text(res), tc.want) {
					t.Errorf("isError=%v, text:\n%s\nwant %q", res.IsError, text(res), tc.want)
				}
				if sent := len(ex.calls) > 0; sent != tc.sent {
					t.Errorf("sent = %v, want %v", sent, tc.sent)
				}
				if asked := len(who.asked) > 0; asked != tc.asked {
					t.Errorf("asked = %v, want %v", asked, tc.asked)
				}
				if tc.asked {
					for _, w := range []string{`Toolkit: "github"`, "Method: POST", `Endpoint: "/repos/o/r/issues"`, `Body (17 bytes): {"title":"Hello"}`, `query parameter: "per_page" = "5"`} {
						if !strings.Contains(who.asked[0], w) {
							t.Errorf("the person was not shown %q:\n%s", w, who.asked[0])
						}
					}
				}
			})
		}
	}
	if d := proxyWith(Config{ConfirmWrites: true}).Tool().Description; !strings.Contains(d, "--confirm-writes") {
		t.Errorf("description does not mention confirmation: %s", d)
	}
}

func TestConfirmMessageSummarisesLargeBodies(t *testing.T) {
	t.Parallel()
	body := `{"text":"` + strings.Repeat("é", 5000) + `"}`
	msg := confirmMessage(&client.ProxyRequest{ToolkitSlug: "gmail", Method: "POST", Endpoint: "/send", Body: []byte(body)}, nil)
	if len(msg) > 3000 || !strings.Contains(msg, "… (5011 characters in all)") {
		t.Errorf("message is %d bytes:\n%.500s", len(msg), msg)
	}
	msg = confirmMessage(&client.ProxyRequest{ToolkitSlug: "gmail", Method: "PUT", Endpoint: "/f", BinaryBody: &client.BinaryBody{Base64: "aGVsbG8=", ContentType: "text/plain"}},
		&uploadedFile{path: "/srv/up/notes.txt", size: len("hello"), contentType: "text/plain"})
	if !strings.Contains(msg, `File: "/srv/up/notes.txt" ("text/plain", 5 bytes)`) {
		t.Errorf("upload summary:\n%s", msg)
	}
}

// TestConfirmMessageCannotBeSpoofed: values the agent chose cannot add lines
// to the prompt, reorder it with bidi controls, or make it huge.
func TestConfirmMessageCannotBeSpoofed(t *testing.T) {
	t.Parallel()
	fake := "\nMethod: GET (read-only preview)\n"
	bidi := "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
	huge := "/x" + strings.Repeat("a", 200_000)
	call := &client.ProxyRequest{
		ToolkitSlug: "github" + fake, Method: "DELETE", Endpoint: "/repos/o/r" + fake + bidi + "\r\x1b[2K\x00\x7f\xff",
		Parameters: []client.Parameter{{Name: "n" + fake, Value: huge, Type: "query"}, {Name: huge, Value: bidi, Type: "header"}},
		Body:       []byte("{\n \"a\": \"" + bidi + "\",\n\"b\": \"" + strings.Repeat("z", 100_000) + "\"}"),
		BinaryBody: &client.BinaryBody{URL: "https://x.test/" + fake + huge, ContentType: "text/plain" + fake},
	}
	msg := confirmMessage(call, nil)
	if len(msg) > 4000 {
		t.Errorf("message is %d bytes", len(msg))
	}
	lines := strings.Split(msg, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "Method: ") && l != "Method: DELETE" {
			t.Errorf("a value made its own line: %q", l)
		}
	}
	if len(lines) != 11 {
		t.Errorf("%d lines, want 11:\n%s", len(lines), msg)
	}
	for _, r := range msg {
		if (r < 0x20 && r != '\n') || r == 0x7f || strings.ContainsRune(bidi, r) || r == utf8.RuneError {
			t.Errorf("message has %U", r)
		}
	}
	for _, w := range []string{
		`Endpoint: "/repos/o/r\nMethod: GET (read-only preview)\n\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\r\x1b[2K\x00\x7f\xff"`,
		`… (200002 characters in all)`,
		`Body (97.7 KiB (100055 bytes)): {"a":"\u202a\u202b`,
		`Toolkit: "github\nMethod: GET (read-only preview)\n"`,
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %s:\n%s", w, msg)
		}
	}
}

// TestConfirmState: a multi round-trip answer counts only for the call it
// was asked about, and only for a while.
func TestConfirmState(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a := &client.ProxyRequest{ToolkitSlug: "github", Method: "DELETE", Endpoint: "/repos/o/r"}
	b := &client.ProxyRequest{ToolkitSlug: "github", Method: "DELETE", Endpoint: "/repos/o/other"}
	key := []byte("k")
	st := confirmState(key, "", a, now)
	if !checkConfirmState(key, st, "", a, now.Add(time.Minute)) {
		t.Error("a fresh state for the same call was refused")
	}
	if checkConfirmState(key, st, "", b, now) {
		t.Error("a state was accepted for another call")
	}
	if checkConfirmState(key, st, "", a, now.Add(confirmStateTTL+time.Second)) {
		t.Error("an old state was accepted")
	}
	if checkConfirmState([]byte("another key"), st, "", a, now) {
		t.Error("a state was accepted under another key")
	}
	if other := confirmState(key, "", a, now); other == st || !checkConfirmState(key, other, "", a, now) {
		t.Error("two questions about one call share a state")
	}
	if checkConfirmState(key, st, "bob", a, now) || checkConfirmState(key, confirmState(key, "alice", a, now), "bob", a, now) {
		t.Error("a state was accepted from another caller")
	}
	if !checkConfirmState(key, confirmState(key, "alice", a, now), "alice", a, now) {
		t.Error("a caller's own state was refused")
	}
	for _, bad := range []string{"", "x", "1.2", "1.2.3", st + "0", strings.Replace(st, ".", "..", 1)} {
		if checkConfirmState(key, bad, "", a, now) {
			t.Errorf("state %q accepted", bad)
		}
	}
}
