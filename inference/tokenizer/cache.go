package tokenizer

import "sync"

// wordCache remembers the BPE ids of recent pre-tokens: natural text
// repeats its words, and merging is the slow part. It is bounded (emptied
// when full) and safe for concurrent Encode calls.
type wordCache struct {
	mu sync.Mutex
	m  map[string][]int32
}

const (
	wordCacheEntries = 1 << 16
	wordCacheMaxLen  = 64 // bytes; longer words are rare and not worth keeping
)

func (c *wordCache) get(w string) ([]int32, bool) {
	if len(w) > wordCacheMaxLen {
		return nil, false
	}
	c.mu.Lock()
	ids, ok := c.m[w]
	c.mu.Unlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int) {
	if len(w) > wordCacheMaxLen {
		return
	}
	v := make([]int32, len(ids))
	for i, id := range ids {
		v[i] = int32(id)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= wordCacheEntries {
		c.m = make(map[string][]int32)
	}
	c.m[w] = v
	c.mu.Unlock()
}
