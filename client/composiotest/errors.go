package composiotest

import (
	"encoding/json"
	"net/http"

	"github.com/composio-proxy-mcp/composio-proxy-mcp/client"
)

// apiError is an error as Composio reports it in its {"error":{…}} envelope. Codes that
// composio-api.md does not document are left out (Code 0) or follow the documented
// HTTP_* pattern (10401 for 401, so 10404, 10413).
type apiError struct {
	HTTP         int
	Message      string
	Code         int
	Slug         string
	SuggestedFix string
	Errors       []string
}

type envelope struct {
	Error envelopeBody `json:"error"`
}

type envelopeBody struct {
	Message      string   `json:"message"`
	Code         int      `json:"code,omitempty"`
	Slug         string   `json:"slug"`
	Status       int      `json:"status"`
	RequestID    string   `json:"request_id"`
	SuggestedFix string   `json:"suggested_fix"`
	Errors       []string `json:"errors"`
}

// writeError answers with Composio's error envelope.
func (s *Server) writeError(w http.ResponseWriter, e apiError) {
	if e.Errors == nil {
		e.Errors = []string{}
	}
	writeJSON(w, e.HTTP, envelope{Error: envelopeBody{
		Message:      e.Message,
		Code:         e.Code,
		Slug:         e.Slug,
		Status:       e.HTTP,
		RequestID:    w.Header().Get("X-Request-Id"),
		SuggestedFix: e.SuggestedFix,
		Errors:       e.Errors,
	}})
}

// writeJSON answers status with v as JSON. HTML is not escaped, as Composio's Node
// backend does not escape it either.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, apiError{
		HTTP: http.StatusNotFound, Code: 10404, Slug: "HTTP_NotFound",
		Message: "Cannot " + r.Method + " " + r.URL.Path,
	})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	s.writeError(w, apiError{
		HTTP: http.StatusMethodNotAllowed, Code: 10405, Slug: "HTTP_MethodNotAllowed",
		Message: "Method " + r.Method + " is not allowed on " + r.URL.Path,
	})
}

func (s *Server) badRequest(w http.ResponseWriter, message string, errs ...string) {
	s.writeError(w, apiError{
		HTTP: http.StatusBadRequest, Code: 4300, Slug: client.SlugBadRequest,
		Message:      message,
		SuggestedFix: "Fix the fields listed in errors and send the request again.",
		Errors:       errs,
	})
}

// NotFoundStyle picks how the fake words its answer for an unknown or deleted
// session, so that tests can check what a client takes for a missing session.
type NotFoundStyle int

// The answers for a missing session. Composio documents none of them as the only
// one: its v3.1 message is "… does not exist or has been deleted", and the slug
// ToolRouterV2_SessionNotFound is seen elsewhere.
const (
	// NotFoundAsComposio is the default: a 404 with code, status, slug and a message
	// that names the session.
	NotFoundAsComposio NotFoundStyle = iota
	// NotFoundSlugOnly carries the slug and a message that says nothing of a session.
	NotFoundSlugOnly
	// NotFoundMessageOnly carries no slug, only the message about the session.
	NotFoundMessageOnly
	// NotFoundNeither is a 404 whose slug and message speak of no session.
	NotFoundNeither
)

// SetNotFoundStyle sets how calls for a missing session are answered from now on.
func (s *Server) SetNotFoundStyle(style NotFoundStyle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notFoundStyle = style
}

// sessionNotFound answers a call for a session that does not exist, in the words of
// the request's API version (see versionWriter) and the style set.
func (s *Server) sessionNotFound(w http.ResponseWriter, id string) {
	s.mu.Lock()
	style := s.notFoundStyle
	s.mu.Unlock()
	msg := "Tool router session with ID " + id + " not found"
	if versionOf(w) == "v3.1" {
		msg = "Tool router session with ID " + id + " does not exist or has been deleted"
	}
	e := apiError{
		HTTP: http.StatusNotFound, Code: 10404, Slug: client.SlugSessionNotFound, Message: msg,
		SuggestedFix: "The session was deleted or never existed: create a new session (POST /api/" + versionOf(w) + "/tool_router/session) and retry with its id.",
	}
	switch style {
	case NotFoundSlugOnly:
		e.Message = "Not Found"
	case NotFoundMessageOnly:
		e.Slug = ""
	case NotFoundNeither:
		e.Slug, e.Message, e.SuggestedFix = "HTTP_NotFound", "Resource not found", ""
	}
	s.writeError(w, e)
}
