// Package audit writes the audit log of a server's tool calls: one JSON object
// per line, per call, saying who was called how and what came of it, so that
// an operator can answer "what did the agent do?" afterwards.
//
// An entry holds no request or response body, no header, no credential and
// no query string: only the shape of a call. Endpoints pass through
// redact.Endpoint, which drops the query, because query strings routinely
// carry search terms, e-mail addresses and tokens.
//
//	log, err := audit.Open("/var/log/composio-proxy-mcp/audit.jsonl")
//	if err != nil {
//		return err
//	}
//	defer log.Close()
//	log.Write(audit.Entry{Time: time.Now(), Tool: "proxy_execute", Outcome: audit.OutcomeOK})
package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/internal/redact"
)

// Outcomes of a call, in Entry.Outcome.
const (
	// OutcomeOK is a call that succeeded.
	OutcomeOK = "ok"
	// OutcomeUpstreamError is a call Composio forwarded, which the third-party
	// API answered with an error status.
	OutcomeUpstreamError = "upstream_error"
	// OutcomeComposioError is a call that Composio itself refused or failed.
	OutcomeComposioError = "composio_error"
	// OutcomeFailed is a call that got no answer: a network failure, a
	// timeout, or a cancellation.
	OutcomeFailed = "failed"
	// OutcomeRejected is a call refused before anything was sent: invalid
	// arguments, the server's policy, or missing credentials.
	OutcomeRejected = "rejected"
	// OutcomeInternalError is a fault of the server itself.
	OutcomeInternalError = "internal_error"
)

// Entry is one line of the audit log.
type Entry struct {
	// Time is when the call started.
	Time time.Time `json:"time"`
	// RequestID is Composio's request id of the call's last request.
	RequestID string `json:"request_id,omitempty"`
	// Tool is the MCP tool that was called.
	Tool string `json:"tool"`
	// Toolkit, Method and Endpoint describe the call's target; Write drops
	// Endpoint's query.
	Toolkit  string `json:"toolkit,omitempty"`
	Method   string `json:"method,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	// Status is the third-party API's status, or Composio's when Composio
	// failed the call; 0 when there was no answer.
	Status int `json:"status,omitempty"`
	// Error is Composio's error slug, when it gave one.
	Error string `json:"error,omitempty"`
	// Attempts counts the requests sent to Composio.
	Attempts int `json:"attempts"`
	// Duration is how long the call took.
	Duration time.Duration `json:"-"`
	// Bytes is the size of the response body passed on.
	Bytes int `json:"bytes"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
}

// MarshalJSON implements json.Marshaler, writing the duration in
// milliseconds, which log tools read more readily than Go's nanoseconds.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	return json.Marshal(struct {
		plain
		DurationMS float64 `json:"duration_ms"`
	}{plain(e), float64(e.Duration.Microseconds()) / 1000})
}

// Log writes entries to a writer, one whole line per Write, so that entries
// of concurrent calls never interleave. It is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
}

// New returns a Log that writes to w.
func New(w io.Writer) *Log { return &Log{w: w} }

// Open returns a Log that appends to the file at path, creating it readable
// by its owner only: even without bodies, the log shows what a user did.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening audit log: %w", err)
	}
	return &Log{w: f, closer: f}, nil
}

// Write appends e as one JSON line, with its endpoint redacted.
func (l *Log) Write(e Entry) error {
	e.Endpoint = redact.Endpoint(e.Endpoint)
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding audit entry: %w", err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.w.Write(b); err != nil {
		return fmt.Errorf("writing audit log: %w", err)
	}
	return nil
}

// Close closes the file of a Log from Open; for a Log from New it does
// nothing.
func (l *Log) Close() error {
	if l.closer == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closer.Close()
}
