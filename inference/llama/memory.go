package llama

import (
	"fmt"

	"burrow/internal/sysmem"
)

// availableMemory reports the memory the system can give a new allocation
// without swapping, and whether it knows. A variable so tests can pretend.
var availableMemory = systemAvailableMemory

const gib = 1 << 30

// checkMemory fails, before anything is allocated, when a context of
// ctxLen tokens needs more memory than the system has available.
func checkMemory(ctxLen int, need uint64) error {
	avail, ok := availableMemory()
	if !ok || need <= avail {
		return nil
	}
	return fmt.Errorf("not enough memory for a context of %d tokens: needs %.1f GiB, %.1f GiB available",
		ctxLen, float64(need)/gib, float64(avail)/gib)
}

// systemAvailableMemory asks the system (internal/sysmem, shared with the
// library's "fits" badge); where it cannot tell, the check is skipped.
func systemAvailableMemory() (uint64, bool) {
	n, err := sysmem.Available()
	return n, err == nil
}

// KVCacheBytes is the memory the KV cache of a State for ctxLen tokens
// takes: sliding-window layers hold a ring of twice Window+256 positions
// when that is smaller than the context, the others every position.
func (c *Config) KVCacheBytes(ctxLen int, kv KVType) uint64 {
	return kvCacheBytes(c, ctxLen, min(maxBatch, ctxLen), kv)
}
