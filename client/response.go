package client

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CheckResponse returns nil for a 2xx response and an *APIError for any other. It reads
// at most 64 KiB of the body and understands Composio's {"error":{…}} envelope (with a
// numeric or string code), a bare {"message":…} (platform rate limits), {"error":"…"},
// and a non-JSON body such as a proxy's HTML error page, kept cut to 1 KiB in Body.
// Callers that want the connection reused still drain and close the body.
func CheckResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode <= 299 {
		return nil
	}
	e := &APIError{
		HTTPStatus: r.StatusCode,
		RetryAfter: ParseRetryAfter(r.Header, time.Now()),
	}
	var body []byte
	if r.Body != nil {
		// A read error leaves a partial body, which is still the best evidence there is.
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxErrorBodyBytes))
	}
	if !e.decode(body) {
		e.Body = truncateUTF8(strings.TrimSpace(string(body)), maxErrorBodyKept)
	}
	if e.RequestID == "" {
		e.RequestID = requestID(r.Header)
	}
	// Some errors, OriginMismatch for one, carry their name only as a string code;
	// making it the slug lets callers match every kind of error the same way.
	if e.Slug == "" && e.Code != "" && !isNumber(string(e.Code)) {
		e.Slug = string(e.Code)
	}
	if e.Slug == "" && r.StatusCode == http.StatusTooManyRequests {
		e.Slug = SlugTooManyRequests
	}
	e.sanitize()
	return e
}

// sanitize makes every text field valid UTF-8. The body and headers are whatever the
// far end sent, and the fields end up in JSON tool results and logs, where an invalid
// byte is at best replaced and at worst fails the encoding of the whole message.
func (e *APIError) sanitize() {
	for _, s := range []*string{&e.Message, (*string)(&e.Code), &e.Slug, &e.RequestID, &e.SuggestedFix, &e.Body} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	for i := range e.Errors {
		e.Errors[i] = strings.ToValidUTF8(e.Errors[i], "\uFFFD")
	}
	// The replacement character is longer than the byte it replaces; cut again.
	e.Body = truncateUTF8(e.Body, maxErrorBodyKept)
}

// decode fills e from a JSON error body and reports whether the body was one. Each field
// is decoded on its own, loosely, so one field of an unexpected type cannot hide the
// others.
func (e *APIError) decode(body []byte) bool {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return false
	}
	fields := top
	if raw, ok := top["error"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil && inner != nil {
			fields = inner
		} else if s := looseString(raw); s != "" {
			// {"error": "some string"}, with a sibling message preferred when present.
			e.Message = s
		}
	}
	if m, ok := fields["message"]; ok {
		e.Message = looseString(m)
	}
	if c, ok := fields["code"]; ok {
		var code Code
		if code.UnmarshalJSON(c) == nil {
			e.Code = code
		} else {
			e.Code = Code(looseString(c))
		}
	}
	if v, ok := fields["slug"]; ok {
		e.Slug = looseString(v)
	}
	if v, ok := fields["request_id"]; ok {
		e.RequestID = looseString(v)
	}
	if v, ok := fields["suggested_fix"]; ok {
		e.SuggestedFix = looseString(v)
	}
	if v, ok := fields["errors"]; ok {
		e.Errors = errorList(v)
	}
	return e.Message != "" || e.Code != "" || e.Slug != "" || len(e.Errors) > 0
}

// errorList renders Composio's errors array, whose items are strings or objects, as
// strings: objects become compact JSON so that no detail is lost.
func errorList(raw json.RawMessage) []string {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		if s := looseString(raw); s != "" {
			return []string{s}
		}
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
			continue
		}
		var b bytes.Buffer
		if json.Compact(&b, it) == nil {
			out = append(out, b.String())
		} else {
			out = append(out, string(it))
		}
	}
	return out
}

// ParseRetryAfter returns the wait a response asks for: retry-after-ms (milliseconds,
// which Composio's own client honours first), else Retry-After as delay-seconds or an
// HTTP-date relative to now. It returns zero when there is no usable header.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return clampDuration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 || math.IsInf(s, 0) || math.IsNaN(s) {
			return 0
		}
		return clampDuration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// clampDuration converts nanoseconds to a Duration without overflowing.
func clampDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// truncateUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut])
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
