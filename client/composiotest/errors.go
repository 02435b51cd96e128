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

func (s *Server) sessionNotFound(w http.ResponseWriter, id string) {
	s.writeError(w, apiError{
		HTTP: http.StatusNotFound, Slug: client.SlugSessionNotFound,
		Message:      "Tool router session with ID " + id + " not found",
		SuggestedFix: "The session expired or never existed: create a new session (POST /api/v3/tool_router/session) and retry with its id.",
	})
}
