package auditprocessor

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// contents returns every remembered string, published or pending.
func (m *memo[V]) contents() map[string]V {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := maps.Clone(*m.published.Load())
	maps.Copy(all, m.pending)
	return all
}

func TestMemoComputesEachRememberedKeyOnce(t *testing.T) {
	m := newMemo[int](100)
	var computed atomic.Int32
	length := func(s string) int {
		computed.Add(1)
		return len(s)
	}
	keys := []string{"a", "bb", "ccc", "dddd"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				for _, k := range keys {
					assert.Equal(t, len(k), m.get(k, length))
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(len(keys)), computed.Load())
	// Looked up that often, all are published: lookups no longer lock.
	assert.Len(t, *m.published.Load(), len(keys))
	assert.Empty(t, m.pending)
}

func TestMemoRemembersAtMostMax(t *testing.T) {
	m := newMemo[string](10)
	var computed int
	upper := func(s string) string {
		computed++
		return s + "!"
	}
	for i := range 25 {
		k := fmt.Sprint(i)
		assert.Equal(t, k+"!", m.get(k, upper))
		assert.Equal(t, k+"!", m.get(k, upper))
	}
	assert.Len(t, m.contents(), 10)
	assert.Contains(t, m.contents(), "9")
	assert.NotContains(t, m.contents(), "10")
	// Past the bound a key is computed on every lookup, and still right.
	assert.Equal(t, 10+2*15, computed)
}
