package session

import "slices"

// goneMemory is how many ids a Manager remembers gone: a session is replaced
// rarely, and only the last few can still be in some replica's memory.
const goneMemory = 8

// goneIDs is the session ids a Manager has seen Composio report gone, the
// newest last, at most goneMemory. A replica that did not see one go may
// publish it again to the shared cache (after the entry ran out, or a store
// restart); a Manager that remembers it never adopts or publishes it. Not
// safe for concurrent use: the Manager's mutex guards it.
type goneIDs []string

// add remembers id gone.
func (g *goneIDs) add(id string) {
	if id == "" || slices.Contains(*g, id) {
		return
	}
	*g = append(*g, id)
	if len(*g) > goneMemory {
		*g = slices.Delete(*g, 0, len(*g)-goneMemory)
	}
}

// has reports whether id is remembered gone.
func (g goneIDs) has(id string) bool { return id != "" && slices.Contains(g, id) }
