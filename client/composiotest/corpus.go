package composiotest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CorpusAnswer is one of the corpus's realistic answers: the call that gets
// its first page from the fake, as proxy_execute's arguments name it.
type CorpusAnswer struct {
	// Name says what the answer is, e.g. "github repos".
	Name string
	// Toolkit, Method and Endpoint are the call's; Endpoint may hold a query.
	Toolkit, Method, Endpoint string
	// Body is the JSON body of a POST; nil for a GET.
	Body json.RawMessage
}

// Corpus lists the corpus's answers, in a fixed order. Each is generated
// deterministically (the same bytes on every run) and pages with the real
// API's marker: a Link header for GitHub, nextPageToken for Gmail and
// Google Calendar, response_metadata.next_cursor for Slack, has_more and
// next_cursor for Notion.
func Corpus() []CorpusAnswer {
	return []CorpusAnswer{
		{Name: "github repos", Toolkit: "github", Method: "GET", Endpoint: "/user/repos?per_page=100"},
		{Name: "github issues", Toolkit: "github", Method: "GET", Endpoint: "/repos/octo-org/hello-world/issues?per_page=100"},
		{Name: "gmail messages", Toolkit: "gmail", Method: "GET", Endpoint: "/gmail/v1/users/me/messages?maxResults=500"},
		{Name: "gmail message", Toolkit: "gmail", Method: "GET", Endpoint: "/gmail/v1/users/me/messages/" + corpusMessageID(7)},
		{Name: "slack history", Toolkit: "slack", Method: "GET", Endpoint: "/conversations.history?channel=C0123CORPUS"},
		{Name: "calendar events", Toolkit: "googlecalendar", Method: "GET", Endpoint: "/calendars/primary/events?maxResults=250"},
		{Name: "notion query", Toolkit: "notion", Method: "POST", Endpoint: "/v1/databases/" + corpusNotionDB + "/query", Body: json.RawMessage(`{}`)},
	}
}

// CorpusSessionID is the session that CorpusSession opens.
const CorpusSessionID = "trs_corpus"

// CorpusSession opens a session of UserID, CorpusSessionID, that enables
// every corpus toolkit, and connects each: the one session in which every
// corpus answer can be asked for. It returns the session id.
func (s *Server) CorpusSession() string {
	toolkits := []string{"github", "gmail", "slack", "googlecalendar", "notion"}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tk := range toolkits {
		s.connect(UserID, tk, "", "")
	}
	s.sessions[CorpusSessionID] = &session{id: CorpusSessionID, userID: UserID, toolkits: toolkits}
	return CorpusSessionID
}

// The corpus's fixed shape: its seed, how many items each list holds over
// all its pages, and the ids it uses.
const (
	corpusSeed     = 20260712
	corpusRepos    = 250
	corpusIssues   = 230
	corpusMessages = 1200
	corpusSlack    = 450
	corpusEvents   = 600
	corpusPages    = 260
	corpusNotionDB = "8e2c4a1f-3b5d-4c6e-9f70-1a2b3c4d5e6f"
)

// corpusRequest is what a corpus route reads of a call: its query (the
// endpoint's and the query parameters) and its JSON body.
type corpusRequest struct {
	query url.Values
	body  map[string]any
}

func (r corpusRequest) intParam(name string, def, max int) int {
	n, err := strconv.Atoi(r.query.Get(name))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, max)
}

// cursorPage is the page that a cursor query parameter and a page size
// parameter (of default def, at most max) ask for, of total items.
func (r corpusRequest) cursorPage(cursor, size string, def, max, total int) (from, to, next int) {
	return page(corpusOffset(r.query.Get(cursor)), r.intParam(size, def, max), total)
}

// corpus answers a call to one of the corpus's endpoints and reports
// whether it did.
func (s *Server) corpus(w http.ResponseWriter, c proxyCall) bool {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return false
	}
	r := corpusRequest{query: u.Query()}
	for _, p := range c.params {
		if p.Type == "query" {
			r.query.Set(p.Name, p.Value)
		}
	}
	if len(c.body) > 0 {
		_ = json.Unmarshal(c.body, &r.body)
	}
	p := endpointPath(c.endpoint, c.toolkit)
	var res *proxyResult
	switch {
	case c.toolkit == "github" && c.method == "GET" && p == "/user/repos":
		res = githubList(r, "https://api.github.com/user/repos", corpusRepos, githubRepo)
	case c.toolkit == "github" && c.method == "GET" && strings.HasPrefix(p, "/repos/") && strings.HasSuffix(p, "/issues") && strings.Count(p, "/") == 4:
		res = githubList(r, "https://api.github.com"+p, corpusIssues, githubIssue)
	case c.toolkit == "gmail" && c.method == "GET" && p == "/gmail/v1/users/me/messages":
		res = gmailList(r)
	case c.toolkit == "gmail" && c.method == "GET" && strings.HasPrefix(p, "/gmail/v1/users/me/messages/") && strings.Count(p, "/") == 6:
		res = gmailMessage(strings.TrimPrefix(p, "/gmail/v1/users/me/messages/"))
	case c.toolkit == "slack" && c.method == "GET" && p == "/conversations.history":
		res = slackHistory(r)
	case c.toolkit == "googlecalendar" && c.method == "GET" && p == "/calendars/primary/events":
		res = calendarEvents(r)
	case c.toolkit == "notion" && c.method == "POST" && strings.HasPrefix(strings.TrimPrefix(p, "/v1"), "/databases/") && strings.HasSuffix(p, "/query"):
		res = notionQuery(r)
	default:
		return false
	}
	writeJSON(w, http.StatusOK, res)
	return true
}

// corpusJSON is a corpus answer with a JSON body.
func corpusJSON(data any, headers map[string]string) *proxyResult {
	h := jsonHeaders()
	for k, v := range headers {
		h[k] = v
	}
	return &proxyResult{Status: http.StatusOK, Data: mustJSON(data), Headers: h}
}

// corpusCursor encodes an offset as an opaque cursor, as the APIs do.
func corpusCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("corpus:" + strconv.Itoa(offset)))
}

// corpusOffset decodes corpusCursor; an empty or invalid cursor starts at 0.
func corpusOffset(cursor string) int {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "corpus:"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// page is the window [from, to) of total items, and the offset of the next
// page (0: none).
func page(from, size, total int) (int, int, int) {
	from = min(from, total)
	to := min(from+size, total)
	next := 0
	if to < total {
		next = to
	}
	return from, to, next
}

// rng is item i's own generator, so that an item is the same on every page
// and every run.
func rng(kind uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(corpusSeed+kind, uint64(i)))
}

var corpusWords = strings.Fields(`alpha bravo cache deploy edge fetch graph hook index job kernel lambda metric node
oauth parser queue router schema token upload vector worker yaml zone billing review release
sync backup invoice meeting roadmap sprint design budget launch onboarding feedback hiring`)

func words(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = corpusWords[r.IntN(len(corpusWords))]
	}
	return strings.Join(w, " ")
}

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// corpusTime is a fixed instant minus i hours, so lists run newest first.
func corpusTime(i int) string {
	return time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Hour).Format(time.RFC3339)
}

var corpusPeople = []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Linus Torvalds", "Margaret Hamilton", "Ken Thompson", "Barbara Liskov"}

func person(r *rand.Rand) (name, login, email string) {
	name = corpusPeople[r.IntN(len(corpusPeople))]
	login = strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	return name, login, strings.ReplaceAll(login, "-", ".") + "@example.com"
}

func corpusMessageID(i int) string { return fmt.Sprintf("18f%013x", 0x4a3b2c1d00+i*7919) }
