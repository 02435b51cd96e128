package tenant

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/session"
	"github.com/composio-proxy-mcp/composio-proxy-mcp/tools"
)

const (
	keyA = "ak_tenant_A_SECRET"
	keyB = "uak_tenant_B_SECRET"
)

// header builds a request's headers as a client sends them: canonical names
// set with Set, whatever the case given here.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

var _ tools.Tenants = (*Resolver)(nil)

// TestResolverRefusesIncompleteHeaders: each missing or conflicting header
// gets an error that names what to send and repeats no credential.
func TestResolverRefusesIncompleteHeaders(t *testing.T) {
	t.Parallel()
	r := NewResolver(nil, session.Config{})
	for name, tc := range map[string]struct {
		h    http.Header
		want string
	}{
		"nothing":        {header(), "the request carried no X-Composio-Api-Key header"},
		"blank key":      {header("X-Composio-Api-Key", "  ", "X-Composio-User-Id", "alice"), "carried no X-Composio-Api-Key"},
		"both keys":      {header("x-composio-api-key", keyA, "X-Composio-User-Api-Key", keyB, "X-Composio-User-Id", "alice"), "both X-Composio-Api-Key and X-Composio-User-Api-Key"},
		"no user":        {header("X-Composio-Api-Key", keyA), "named neither a user (X-Composio-User-Id) nor a session (X-Composio-Session-Id)"},
		"blank user too": {header("X-Composio-User-Api-Key", keyB, "X-Composio-User-Id", " ", "X-Composio-Session-Id", ""), "named neither a user"},
	} {
		_, err := r.Tenant(context.Background(), tc.h)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "Retrying will not help") {
			t.Errorf("%s: %s", name, msg)
		}
		if strings.Contains(msg, keyA) || strings.Contains(msg, keyB) || strings.Contains(msg, "alice") {
			t.Errorf("%s: the error repeats a header value: %s", name, msg)
		}
	}
}

// A caller naming only a session uses it as it is; one naming a user gets a
// managed session, shared by its later calls with the same credential and
// user id, and by no one else's.
func TestResolverSessions(t *testing.T) {
	t.Parallel()
	r := NewResolver(nil, session.Config{Toolkits: []string{"github"}})
	tenant := func(h http.Header) tools.Tenant {
		t.Helper()
		tn, err := r.Tenant(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Client == nil || tn.Sessions == nil {
			t.Fatalf("tenant %+v", tn)
		}
		return tn
	}
	if got := tenant(header("X-Composio-User-Api-Key", keyB, "X-Composio-Session-Id", " trs_1 ")).Sessions; got != tools.FixedSession("trs_1") {
		t.Errorf("sessions = %#v, want the fixed session trs_1", got)
	}
	alice := tenant(header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice")).Sessions
	if _, ok := alice.(*session.Manager); !ok {
		t.Fatalf("sessions = %T, want a manager", alice)
	}
	if again := tenant(header("X-Composio-Api-Key", " "+keyA, "X-Composio-User-Id", "alice ", "X-Composio-Session-Id", "trs_other")).Sessions; again != alice {
		t.Error("the same caller got a new session manager")
	}
	for name, h := range map[string]http.Header{
		"another user":    header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "bob"),
		"another key":     header("X-Composio-Api-Key", keyA+"x", "X-Composio-User-Id", "alice"),
		"a user key":      header("X-Composio-User-Api-Key", keyA, "X-Composio-User-Id", "alice"),
		"split otherwise": header("X-Composio-Api-Key", keyA+"al", "X-Composio-User-Id", "ice"),
	} {
		if tenant(h).Sessions == alice {
			t.Errorf("%s reached alice's session manager", name)
		}
	}
}

func TestCallerIdentity(t *testing.T) {
	t.Parallel()
	alice := callerIdentity(header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice"))
	if alice == "" || strings.Contains(alice, keyA) {
		t.Fatalf("identity %q", alice)
	}
	for name, tc := range map[string]struct {
		h    http.Header
		same bool
	}{
		"another session id":    {header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice", "X-Composio-Session-Id", "trs_2"), true},
		"spaces":                {header("X-Composio-Api-Key", keyA+" ", "X-Composio-User-Id", " alice"), true},
		"another user":          {header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "bob"), false},
		"no user":               {header("X-Composio-Api-Key", keyA), false},
		"the key as a user key": {header("X-Composio-User-Api-Key", keyA, "X-Composio-User-Id", "alice"), false},
	} {
		if got := callerIdentity(tc.h); (got == alice) != tc.same || got == "" {
			t.Errorf("%s: identity %q (alice's: %q)", name, got, alice)
		}
	}
	if got := callerIdentity(header("X-Composio-User-Id", "alice", "X-Composio-Session-Id", "trs_1")); got != "" {
		t.Errorf("a caller without a credential is %q, want nobody", got)
	}
}

// The rate limit is per credential: a caller cannot get a fresh allowance by
// naming another user or session.
func TestRateLimitKey(t *testing.T) {
	t.Parallel()
	if RateLimitKey(false, "") != nil {
		t.Error("a single-tenant server's key is not left to the server")
	}
	// With a shared store, every call of a single-tenant server is its one
	// user's, whatever session it comes in.
	if one := RateLimitKey(false, Credential(keyA, "")); one(context.Background(), mcp.CallToolRequest{}) != Credential(keyA, "") {
		t.Error("a fleet's single-tenant calls are not keyed by the server's credential")
	}
	keyOf := func(h http.Header) string {
		var req mcp.CallToolRequest
		req.Header = h
		return RateLimitKey(true, "ignored")(context.Background(), req)
	}
	a := keyOf(header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice"))
	if a == "" || strings.Contains(a, keyA) {
		t.Fatalf("key %q", a)
	}
	if got := keyOf(header("X-Composio-Api-Key", " "+keyA, "X-Composio-User-Id", "bob", "X-Composio-Session-Id", "trs_9")); got != a {
		t.Error("another user or session of the same key got another bucket")
	}
	if keyOf(header("X-Composio-User-Api-Key", keyA)) == a || keyOf(header("X-Composio-Api-Key", keyB)) == a {
		t.Error("another credential shares the bucket")
	}
	if keyOf(header()) != keyOf(header("X-Composio-User-Id", "x")) {
		t.Error("callers without credentials do not share one bucket")
	}
}

func TestResultOwner(t *testing.T) {
	t.Parallel()
	single := ResultOwner(false)
	if a, b := single(context.Background(), nil), single(context.Background(), header("X-Composio-Api-Key", keyA)); a == "" || a != b {
		t.Errorf("a single-tenant server's results belong to %q and %q, want one owner, the process", a, b)
	}
	owner := ResultOwner(true)
	h := header("X-Composio-Api-Key", keyA, "X-Composio-User-Id", "alice")
	if got := owner(context.Background(), h); got == "" || got != callerIdentity(h) {
		t.Errorf("owner %q, want the caller's identity", got)
	}
	if got := owner(context.Background(), nil); got != "" {
		t.Errorf("a request without headers (stdio) is owned by %q, want nobody", got)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	h := header("X-Composio-Api-Key", " "+keyA+" ", "X-Composio-User-Api-Key", keyB, "X-Composio-Session-Id", "trs_1")
	if got := Secrets(h); !slices.Equal(got, []string{keyA, keyB}) {
		t.Errorf("secrets = %q", got)
	}
	if got := Secrets(header()); !slices.Equal(got, []string{"", ""}) {
		t.Errorf("secrets of nothing = %q", got)
	}
}
