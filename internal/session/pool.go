package session

import (
	"container/list"
	"sync"
)

// DefaultPoolSize is how many Managers a Pool keeps unless told otherwise.
const DefaultPoolSize = 10000

// Pool keeps one Manager per key for a server that serves many users (one key
// per credential and user), so that each user's session is created once per
// process rather than once per call. It is a cache, not shared state: a
// process that has never seen a key, or has evicted it, creates a new session,
// which is why replicas behind a load balancer need nothing in common.
//
// It holds at most its size; past that, the least recently used Manager is
// dropped. It is safe for concurrent use.
type Pool struct {
	size int

	mu     sync.Mutex
	items  map[string]*list.Element // of *poolItem
	order  *list.List               // most recently used first
	groups map[string]int           // Managers held per GetLimited group
}

type poolItem struct {
	key, group string
	m          *Manager
}

// NewPool returns a Pool of at most size Managers; size <= 0 means
// DefaultPoolSize.
func NewPool(size int) *Pool {
	if size <= 0 {
		size = DefaultPoolSize
	}
	return &Pool{size: size, items: map[string]*list.Element{}, order: list.New(), groups: map[string]int{}}
}

// Get returns the Manager for key, calling newManager to make it when the
// pool has none. Keys should not be secrets themselves (hash a credential
// into one), since a Pool may be inspected in a debugger or a heap dump.
func (p *Pool) Get(key string, newManager func() *Manager) *Manager {
	m, _ := p.GetLimited(key, "", 0, newManager)
	return m
}

// GetLimited is Get for a key of group, which may hold at most limit Managers
// in the pool at once (limit <= 0 or group "": no limit). When the group is
// full and key is new it makes nothing and returns false, so that one caller
// varying its keys cannot push every other caller's Managers out of the pool.
// A group's count falls as its Managers are evicted, so a group is refused
// only while it really holds limit of them.
func (p *Pool) GetLimited(key, group string, limit int, newManager func() *Manager) (*Manager, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.items[key]; ok {
		p.order.MoveToFront(e)
		return e.Value.(*poolItem).m, true
	}
	if group != "" && limit > 0 && p.groups[group] >= limit {
		return nil, false
	}
	m := newManager()
	p.items[key] = p.order.PushFront(&poolItem{key: key, group: group, m: m})
	if group != "" {
		p.groups[group]++
	}
	for p.order.Len() > p.size {
		last := p.order.Back()
		p.order.Remove(last)
		it := last.Value.(*poolItem)
		delete(p.items, it.key)
		if it.group != "" {
			// Deleting at zero keeps the map as small as the pool.
			if p.groups[it.group]--; p.groups[it.group] <= 0 {
				delete(p.groups, it.group)
			}
		}
	}
	return m, true
}

// Len returns how many Managers the pool holds.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.order.Len()
}
