package tools

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/client/composiotest"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/results"
)

// TestDryRunShowsWhatIsSent: a dry run sends nothing, and what it shows is
// what the fake backend receives when the same call is made for real.
func TestDryRunShowsWhatIsSent(t *testing.T) {
	t.Parallel()
	fake, c := fakeBackend(t, client.WithUserAgent("dryrun-test/1"))
	const args = `{"toolkit_slug":"github","endpoint":"/repos/o/r/issues","method":"POST","body":{"title":"Bug <b>&</b> ünïcode","labels":["x"]},"parameters":[{"name":"per_page","value":"5","type":"query"},{"name":"X-Trace","value":"t1","type":"header"}]}`

	dry := testProxy(c, composiotest.SessionID, Config{DryRun: true})
	if dry.Tool().RawOutputSchema != nil || !strings.Contains(dry.Tool().Description, "DRY RUN") || !*dry.Tool().Annotations.ReadOnlyHint {
		t.Errorf("dry-run tool definition: %+v", dry.Tool())
	}
	// Called with the raw arguments, as a JSON-RPC client sends them, so that
	// both calls carry the body's keys in the same order.
	res := call(t, dry, args)
	if res.IsError {
		t.Fatalf("dry run failed: %s", text(res))
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}
	var shown dryRunOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &shown); err != nil || !shown.DryRun {
		t.Fatalf("structuredContent = %s", b)
	}
	txt := text(res)
	if strings.Contains(txt, composiotest.APIKey) || shown.Headers["X-Api-Key"] != client.Redacted {
		t.Errorf("the API key is not redacted: %s", txt)
	}
	if !strings.Contains(txt, "POST "+shown.URL+"\n") || !strings.HasSuffix(txt, "\n\n"+string(shown.Body)) {
		t.Errorf("text does not show the request:\n%s", txt)
	}

	// The same call, for real.
	if res := call(t, testProxy(c, composiotest.SessionID, Config{}), args); res.IsError {
		t.Fatalf("real call failed: %s", text(res))
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests reached the fake", len(reqs))
	}
	got := reqs[0]
	if got.Method != shown.Method || fake.URL+got.Path != shown.URL || got.RawQuery != "" {
		t.Errorf("sent %s %s%s?%s, dry run showed %s %s", got.Method, fake.URL, got.Path, got.RawQuery, shown.Method, shown.URL)
	}
	if !bytes.Equal(got.Body, shown.Body) {
		t.Errorf("sent body\n%s\ndry run showed\n%s", got.Body, shown.Body)
	}
	for k, v := range shown.Headers {
		want := strings.Join(got.Header.Values(k), ", ")
		if k == "Host" {
			want = strings.TrimPrefix(fake.URL, "http://")
		}
		if k == "X-Api-Key" {
			want = client.Redacted
		}
		if v != want {
			t.Errorf("header %s: dry run showed %q, sent %q", k, v, want)
		}
	}
	for k := range got.Header {
		// Go's transport adds Accept-Encoding on the wire, below the client.
		if _, ok := shown.Headers[http.CanonicalHeaderKey(k)]; !ok && k != "Accept-Encoding" {
			t.Errorf("header %s was sent but not shown", k)
		}
	}
}

// TestDryRunCutsLargeBodies: a dry run of a large upload keeps the result
// small and the exact body readable as a resource.
func TestDryRunCutsLargeBodies(t *testing.T) {
	t.Parallel()
	_, c := fakeBackend(t)
	p := testProxy(c, composiotest.SessionID, Config{DryRun: true, MaxResultBytes: 2048, Results: results.New(results.Config{})})
	mc := inProcess(t, p)
	body := `{"text":"` + strings.Repeat("lorem ipsum ", 1000) + `"}`
	res := callArgs(t, mc, `{"toolkit_slug":"github","endpoint":"/x","method":"POST","body":`+body+`}`, nil)
	links := resourceLinks(res)
	if res.IsError || len(links) != 1 || len(text(res)) > 6000 {
		t.Fatalf("result: %d links, %d bytes of text", len(links), len(text(res)))
	}
	whole, err := readResource(t, mc, links[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(&client.ProxyRequest{ToolkitSlug: "github", Endpoint: "/x", Method: "POST", Body: json.RawMessage(body)})
	if got := contentBytes(t, whole); !bytes.Equal(got, want) {
		t.Errorf("kept body differs:\n%.200s\n%.200s", got, want)
	}
}

func TestRedactHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Api-Key": {"ak_1"}, "x-user-api-key": {"uak_2"}, "Authorization": {"Bearer 3"}, "Accept": {"application/json"}}
	r := client.RedactHeader(h)
	for k, v := range r {
		if strings.Contains(strings.Join(v, ""), "_") || strings.Contains(strings.Join(v, ""), "3") {
			t.Errorf("%s: %v not redacted", k, v)
		}
	}
	if r.Get("Accept") != "application/json" || h.Get("X-Api-Key") != "ak_1" {
		t.Error("RedactHeader changed the wrong header or its input")
	}
}
