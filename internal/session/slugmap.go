package session

import (
	"fmt"
	"strings"
)

// ParseSlugIDs parses the slug=id,… form of --auth-configs and
// --connected-accounts (and their multi-tenant headers): toolkit slugs, lower
// cased, each given one id. An empty string is no map. The error says what is
// wrong and never repeats the value: it may come from a caller's header.
func ParseSlugIDs(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for i, item := range strings.Split(s, ",") {
		slug, id, ok := strings.Cut(strings.TrimSpace(item), "=")
		slug, id = strings.ToLower(strings.TrimSpace(slug)), strings.TrimSpace(id)
		switch {
		case !ok:
			return nil, fmt.Errorf("item %d has no '=': want slug=id,… such as gmail=ac_123,github=ac_456", i+1)
		case slug == "":
			return nil, fmt.Errorf("item %d has an empty toolkit slug: want slug=id,… such as gmail=ac_123", i+1)
		case id == "":
			return nil, fmt.Errorf("item %d (%s) has an empty id: want slug=id,… such as gmail=ac_123", i+1, slug)
		case out[slug] != "":
			return nil, fmt.Errorf("toolkit %s is given twice: want slug=id,… with one id per toolkit slug", slug)
		}
		out[slug] = id
	}
	return out, nil
}
