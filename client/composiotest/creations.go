package composiotest

import (
	"net/http"
	"strings"
)

// SessionsCreated counts the session creations (POST …/tool_router/session)
// the server has received since it started or was Reset: for tests that
// check a session is created once, however many callers or replicas use it.
func (s *Server) SessionsCreated() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/tool_router/session") {
			n++
		}
	}
	return n
}
