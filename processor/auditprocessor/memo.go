package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"maps"
	"sync"
	"sync/atomic"
)

// memo remembers what was computed for up to max strings (key names, event
// names: they repeat across events, so each is computed once). Lookups of
// remembered strings take no lock: they read a map that is never written
// after it is published. New results wait in a locked map and are published,
// with a copy of the published map, once lookups under the lock outnumber
// them and an eighth of the published ones, so copying costs O(1) per lookup.
// (sync.Map, a hash trie, took 1.5 times as long per lookup as a map.)
type memo[V any] struct {
	published atomic.Pointer[map[string]V]

	mu      sync.Mutex
	pending map[string]V
	misses  int // lookups under the lock since the last publication
	max     int // strings remembered at most, published and pending
}

func newMemo[V any](max int) *memo[V] {
	m := &memo[V]{pending: map[string]V{}, max: max}
	m.published.Store(&map[string]V{})
	return m
}

// get returns compute(key), computing it only when key is not remembered.
// compute runs under the lock, so it runs once per remembered key.
func (m *memo[V]) get(key string, compute func(string) V) V {
	if v, ok := (*m.published.Load())[key]; ok {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	published := *m.published.Load() // may have changed since the look above
	if v, ok := published[key]; ok {
		return v
	}
	m.misses++
	v, ok := m.pending[key]
	if !ok {
		v = compute(key)
		if len(published)+len(m.pending) < m.max {
			m.pending[key] = v
		}
	}
	if len(m.pending) > 0 && m.misses >= len(m.pending)+len(published)/8 {
		m.publish(published)
	}
	return v
}

func (m *memo[V]) publish(published map[string]V) {
	next := make(map[string]V, len(published)+len(m.pending))
	maps.Copy(next, published)
	maps.Copy(next, m.pending)
	m.published.Store(&next)
	clear(m.pending)
	m.misses = 0
}
