package tools

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// repairClockFake is a clock whose sleeps pass at once, advancing it.
type repairClockFake struct {
	fakeClock
	slept []time.Duration
}

func (c *repairClockFake) sleep(_ context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.advance(d)
	return nil
}

// askerFake answers every question with action; connects, when set, runs
// as the person opens the link.
type askerFake struct {
	can       bool
	action    mcp.ElicitationResponseAction
	err       error
	asked     []string
	completed []string
}

func (a *askerFake) canAsk(context.Context) bool { return a.can }
func (a *askerFake) askURL(_ context.Context, id, url, _ string) (mcp.ElicitationResponseAction, error) {
	a.asked = append(a.asked, url)
	return a.action, a.err
}
func (a *askerFake) complete(_ context.Context, id string) { a.completed = append(a.completed, id) }

// statusAPI reports the toolkit's status from a script, one per poll (the
// last one repeats), and hands out one link.
type statusAPI struct {
	executorOnly
	statuses []string
	polls    int
}

func (s *statusAPI) ListToolkits(context.Context, string, *client.ListToolkitsOptions) (*client.ToolkitPage, error) {
	st := s.statuses[min(s.polls, len(s.statuses)-1)]
	s.polls++
	tk := client.Toolkit{Slug: "gmail"}
	if st != "" {
		tk.ConnectedAccount = &client.ConnectedAccount{Status: st}
	}
	return &client.ToolkitPage{Items: []client.Toolkit{tk}}, nil
}

func (s *statusAPI) CreateLink(context.Context, string, *client.LinkRequest) (*client.Link, error) {
	return &client.Link{RedirectURL: "https://connect.example/link/lt_1"}, nil
}

var errNoConnection = &client.APIError{HTTPStatus: 400, Slug: client.SlugNoActiveConnection, Message: "No active connection"}

func TestRepairer(t *testing.T) {
	t.Parallel()
	get := &client.ProxyRequest{ToolkitSlug: "gmail", Method: http.MethodGet, Endpoint: "/me"}
	post := &client.ProxyRequest{ToolkitSlug: "gmail", Method: http.MethodPost, Endpoint: "/send"}
	ok := &client.ProxyResponse{Status: 200}
	unauthorized := &client.ProxyResponse{Status: 401}
	for _, tc := range []struct {
		name     string
		call     *client.ProxyRequest
		resp     *client.ProxyResponse
		err      error
		asker    askerFake
		statuses []string // first: the status read at once; then one per poll
		repeated bool
		want     string // in the rendered failure; "" for a repeated call
	}{
		{name: "accept, connected on the third poll", call: get, err: errNoConnection, asker: askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
			statuses: []string{"", "", "INITIATED", "ACTIVE"}, repeated: true},
		{name: "a write Composio never sent is repeated", call: post, err: errNoConnection, asker: askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
			statuses: []string{"EXPIRED", "ACTIVE"}, repeated: true},
		{name: "decline", call: get, err: errNoConnection, asker: askerFake{can: true, action: mcp.ElicitationResponseActionDecline},
			statuses: []string{""}, want: "declined"},
		{name: "cancel", call: get, err: errNoConnection, asker: askerFake{can: true, action: mcp.ElicitationResponseActionCancel},
			statuses: []string{"EXPIRED"}, want: "dismissed the request"},
		{name: "never connected", call: get, err: errNoConnection, asker: askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
			statuses: []string{"INITIATED"}, want: "not ACTIVE within 10s (--connect-wait; status INITIATED)"},
		{name: "no URL elicitation, expired", call: get, err: errNoConnection, statuses: []string{"EXPIRED"}, want: "connection has expired"},
		{name: "no URL elicitation, failed", call: get, err: errNoConnection, statuses: []string{"FAILED"}, want: "account failed"},
		{name: "elicitation fails", call: get, err: errNoConnection, asker: askerFake{can: true, err: errors.New("boom")}, statuses: []string{""}, want: "open it in a browser"},
		{name: "401 on an expired connection, GET", call: get, resp: unauthorized, asker: askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
			statuses: []string{"EXPIRED", "ACTIVE"}, repeated: true},
		{name: "401 on an expired connection, POST", call: post, resp: unauthorized, asker: askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
			statuses: []string{"EXPIRED"}, want: "was not repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &repairClockFake{fakeClock: fakeClock{t: time.Unix(1e9, 0)}}
			api := &statusAPI{statuses: tc.statuses}
			r := &repairer{wait: 10 * time.Second, budget: 50 * time.Second, ask: &tc.asker, clock: clock,
				firstPoll: 500 * time.Millisecond, maxPoll: 4 * time.Second, log: orDiscard(nil)}
			again := 0
			rc := repairCall{call: tc.call, api: api, sessions: FixedSession("trs_1"), start: clock.now(),
				again: func(context.Context) (*client.ProxyResponse, error) { again++; return ok, nil }}
			resp, err := r.run(context.Background(), rc, tc.resp, tc.err)
			if tc.repeated {
				if err != nil || resp != ok || again != 1 {
					t.Fatalf("not repeated once: %d times, %v", again, err)
				}
				if len(tc.asker.completed) != 1 {
					t.Errorf("elicitation complete sent %d times", len(tc.asker.completed))
				}
				return
			}
			if again != 0 || err == nil {
				t.Fatalf("repeated %d times, err %v", again, err)
			}
			txt := failureText(failedOp{call: tc.call}, err)
			for _, w := range []string{tc.want, "https://connect.example/link/lt_1"} {
				if !strings.Contains(txt, w) {
					t.Errorf("lacks %q:\n%s", w, txt)
				}
			}
		})
	}
}

// TestRepairerBacksOff: polls start at the first gap and double up to the
// largest, and the wait ends at --connect-wait.
func TestRepairerBacksOff(t *testing.T) {
	t.Parallel()
	clock := &repairClockFake{fakeClock: fakeClock{t: time.Unix(1e9, 0)}}
	r := &repairer{wait: 10 * time.Second, budget: 50 * time.Second, ask: &askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
		clock: clock, firstPoll: 500 * time.Millisecond, maxPoll: 4 * time.Second, log: orDiscard(nil)}
	rc := repairCall{call: &client.ProxyRequest{ToolkitSlug: "gmail", Method: "GET", Endpoint: "/me"}, api: &statusAPI{statuses: []string{""}},
		sessions: FixedSession("trs_1"), start: clock.now()}
	if _, err := r.run(context.Background(), rc, nil, errNoConnection); err == nil {
		t.Fatal("repaired without a connection")
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 2500 * time.Millisecond}
	if len(clock.slept) != len(want) {
		t.Fatalf("slept %v, want %v", clock.slept, want)
	}
	for i := range want {
		if clock.slept[i] != want[i] {
			t.Fatalf("slept %v, want %v", clock.slept, want)
		}
	}
}

// TestRepairerLeavesOtherFailures: an active connection's 401 and other
// errors pass through untouched, asking nobody.
func TestRepairerLeavesOtherFailures(t *testing.T) {
	t.Parallel()
	asker := &askerFake{can: true, action: mcp.ElicitationResponseActionAccept}
	r := &repairer{wait: time.Second, ask: asker, clock: &repairClockFake{}, firstPoll: time.Millisecond, maxPoll: time.Millisecond, log: orDiscard(nil)}
	rc := repairCall{call: &client.ProxyRequest{ToolkitSlug: "gmail", Method: "GET"}, api: &statusAPI{statuses: []string{"ACTIVE"}}, sessions: FixedSession("s")}
	resp401 := &client.ProxyResponse{Status: 401}
	if resp, err := r.run(context.Background(), rc, resp401, nil); resp != resp401 || err != nil {
		t.Errorf("active connection's 401: %v, %v", resp, err)
	}
	other := &client.APIError{HTTPStatus: 500}
	if _, err := r.run(context.Background(), rc, nil, other); err != other {
		t.Errorf("other error: %v", err)
	}
	if len(asker.asked) != 0 {
		t.Errorf("asked %v", asker.asked)
	}
}

// blockingAPI answers no status or link call until its context ends: a
// Composio that has stopped answering.
type blockingAPI struct{ executorOnly }

func (blockingAPI) ListToolkits(ctx context.Context, _ string, _ *client.ListToolkitsOptions) (*client.ToolkitPage, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blockingAPI) CreateLink(ctx context.Context, _ string, _ *client.LinkRequest) (*client.Link, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A repair never holds the call past its budget, even when Composio stops
// answering the status and link calls.
func TestRepairerKeepsToTheBudget(t *testing.T) {
	t.Parallel()
	r := &repairer{wait: time.Minute, budget: 100 * time.Millisecond, ask: &askerFake{can: true, action: mcp.ElicitationResponseActionAccept},
		clock: realClock{clock: time.Now}, firstPoll: time.Millisecond, maxPoll: time.Millisecond, log: orDiscard(nil)}
	rc := repairCall{call: &client.ProxyRequest{ToolkitSlug: "gmail", Method: "GET", Endpoint: "/me"}, api: blockingAPI{}, sessions: FixedSession("s"), start: time.Now()}
	done := make(chan error, 1)
	go func() {
		_, err := r.run(context.Background(), rc, nil, errNoConnection)
		done <- err
	}()
	select {
	case err := <-done:
		var ce *connectionError
		if !errors.As(err, &ce) {
			t.Errorf("err = %v; want the connection error, with what to do", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the repair outlived its budget by far: Composio's silence held the call")
	}
}
