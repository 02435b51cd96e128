// Package redact is the one place that decides how a hidden value is shown:
// the marker that stands in for a secret, and the rule by which an endpoint
// is shown without the data its query carries. The audit log, the logs, the
// dry run and the masked results all use it, so that an operator searching
// for redactions needs one word, and an endpoint leaks no more in one place
// than in another.
//
// It imports no package of this project, so that client may use it.
package redact

import (
	"net/url"
	"strings"
)

// Marker replaces a hidden value wherever one is shown.
const Marker = "[REDACTED]"

// Endpoint shows an endpoint for logs and the audit log: its scheme, host and
// path, without its query, fragment or user information. The whole query
// goes, names included: query strings carry search terms, e-mail addresses
// and tokens, and an item's name is as free as its value (a bare "?token", a
// key used as a name). What does not parse as a URL keeps only the part
// before any "?" or "#".
func Endpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		if i := strings.IndexAny(endpoint, "?#"); i >= 0 {
			return endpoint[:i]
		}
		return endpoint
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
