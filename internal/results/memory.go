package results

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// memory keeps results in this process: bounded by a cap for all owners
// together and a quota for each, least recently used first out.
type memory struct {
	maxBytes, quota int64
	ttl             time.Duration
	now             func() time.Time
	observer        Observer // nil: none

	mu      sync.Mutex
	lru     *list.List // of *Result, most recently used first
	byID    map[string]*list.Element
	bytes   int64
	byOwner map[string]int64 // bytes of each owner's results
}

func newMemory(maxBytes, quota int64, ttl time.Duration, now func() time.Time, observer Observer) *memory {
	return &memory{maxBytes: maxBytes, quota: quota, ttl: ttl, now: now, observer: observer, lru: list.New(), byID: map[string]*list.Element{}, byOwner: map[string]int64{}}
}

func (m *memory) keep(_ context.Context, r *Result) (bool, error) {
	size := int64(r.size)
	if size > m.quota || size > m.maxBytes {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	r.expires = now.Add(m.ttl)
	m.expireLocked(now)
	// The owner's own results go first, so that one caller's large
	// responses cost only that caller.
	for e := m.lru.Back(); e != nil && m.byOwner[r.owner]+size > m.quota; {
		prev := e.Prev()
		if e.Value.(*Result).owner == r.owner {
			m.removeLocked(e, EvictCapacity)
		}
		e = prev
	}
	for m.bytes+size > m.maxBytes {
		m.removeLocked(m.lru.Back(), EvictCapacity)
	}
	m.byID[r.id] = m.lru.PushFront(r)
	m.bytes += size
	m.byOwner[r.owner] += size
	if m.observer != nil {
		m.observer.StoredBytes(m.bytes)
	}
	return true, nil
}

func (m *memory) load(_ context.Context, owner, id string, n int) (*Result, []byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked(m.now())
	e, ok := m.byID[id]
	if !ok {
		return nil, nil, false, nil
	}
	r := e.Value.(*Result)
	if r.owner != owner {
		// Another caller's result is none of this one's business; say
		// only that it is not there.
		return nil, nil, false, nil
	}
	if n > r.Pages() {
		return r, nil, false, nil
	}
	m.lru.MoveToFront(e)
	if n == 0 {
		return r, r.data, true, nil
	}
	start, end := r.pageRange(n)
	return r, r.data[start:end], true, nil
}

// expireLocked drops entries past their TTL. All entries share one TTL, so
// the oldest stored are the first to expire; but use moves entries forward,
// so every entry is checked.
func (m *memory) expireLocked(now time.Time) {
	for e := m.lru.Back(); e != nil; {
		prev := e.Prev()
		if !now.Before(e.Value.(*Result).expires) {
			m.removeLocked(e, EvictTTL)
		}
		e = prev
	}
}

func (m *memory) removeLocked(e *list.Element, reason string) {
	r := m.lru.Remove(e).(*Result)
	delete(m.byID, r.id)
	m.bytes -= int64(r.size)
	if m.byOwner[r.owner] -= int64(r.size); m.byOwner[r.owner] <= 0 {
		delete(m.byOwner, r.owner)
	}
	if m.observer != nil {
		m.observer.Evicted(reason)
		m.observer.StoredBytes(m.bytes)
	}
}
