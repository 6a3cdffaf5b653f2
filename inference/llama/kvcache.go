package llama

import (
	"fmt"

	"burrow/inference/tensor"
)

// KVType is the element type of the KV cache.
type KVType int

const (
	// KVF32 keeps keys and values in float32, llama.cpp's "-ctk f32 -ctv f32"
	// without flash attention: the closest to exact attention.
	KVF32 KVType = iota
	// KVF16 keeps them in half precision with llama.cpp's default flash
	// attention arithmetic: half the memory, and llama.cpp's default numbers.
	KVF16
)

func (t KVType) String() string {
	switch t {
	case KVF32:
		return "f32"
	case KVF16:
		return "f16"
	}
	return fmt.Sprintf("KVType(%d)", int(t))
}

// ParseKVType reads "f32" or "f16".
func ParseKVType(s string) (KVType, error) {
	switch s {
	case "f32", "F32":
		return KVF32, nil
	case "f16", "F16":
		return KVF16, nil
	}
	return 0, fmt.Errorf("unknown KV cache type %q (f32, f16)", s)
}

func (t KVType) size() uint64 {
	if t == KVF16 {
		return 2
	}
	return 4
}

// kvCache holds the keys and values of the positions the attention still
// needs. Each layer has one contiguous buffer for keys and one for values,
// laid out [row][KVDim], in F32 (k, v) or F16 (k16, v16). A global layer's
// row p is position p. A sliding-window layer whose window is much shorter
// than the context keeps a ring of R = Window+batch positions instead, each
// stored twice (rows p%R and p%R+R), so any R consecutive positions are
// consecutive rows and the attention reads them in order as from a linear
// cache: same arithmetic, window-sized memory.
type kvCache struct {
	kvDim    int
	f16      bool
	k, v     [][]float32 // per layer, F32 cache
	k16, v16 [][]uint16  // per layer, F16 cache
	ring     []int       // per layer: R, or 0 for a linear cache
	window   int
	// hw is one past the highest position written since the cache was
	// emptied: ring rows of positions below hw-R have been overwritten.
	hw int
}

// kvRingOff disables the ring (tests compare the two layouts).
var kvRingOff = false

// kvLayerRows is the rows layer l's cache has for a context of ctxLen
// tokens run in batches of batch, and its ring size (0: linear).
func kvLayerRows(c *Config, l, ctxLen, batch int) (rows, ring int) {
	if c.Recurrent(l) { // a DeltaNet layer keeps a fixed-size state instead (deltanet.go)
		return 0, 0
	}
	if r := c.Window + batch; c.Local(l) && 2*r < ctxLen && !kvRingOff {
		return 2 * r, r
	}
	return ctxLen, 0
}

// kvCacheBytes is the memory a cache for ctxLen positions takes.
func kvCacheBytes(c *Config, ctxLen, batch int, t KVType) uint64 {
	var rows uint64
	for l := 0; l < c.Layers; l++ {
		r, _ := kvLayerRows(c, l, ctxLen, batch)
		rows += uint64(r)
	}
	return 2 * rows * uint64(c.KVDim()) * t.size()
}

func newKVCache(c *Config, ctxLen, batch int, t KVType) kvCache {
	kc := kvCache{kvDim: c.KVDim(), f16: t == KVF16, window: c.Window}
	for l := 0; l < c.Layers; l++ {
		rows, ring := kvLayerRows(c, l, ctxLen, batch)
		n := rows * kc.kvDim
		kc.ring = append(kc.ring, ring)
		if kc.f16 {
			kc.k16 = append(kc.k16, make([]uint16, n))
			kc.v16 = append(kc.v16, make([]uint16, n))
		} else {
			kc.k = append(kc.k, make([]float32, n))
			kc.v = append(kc.v, make([]float32, n))
		}
	}
	return kc
}

// store writes n positions of keys and values (rows of kvDim) at pos.
func (kc *kvCache) store(layer, pos, n int, k, v []float32) {
	kc.hw = max(kc.hw, pos+n)
	d, r := kc.kvDim, kc.ring[layer]
	if r == 0 {
		kc.storeRows(layer, pos, n, k, v)
		return
	}
	for i := 0; i < n; i++ {
		slot := (pos + i) % r
		kc.storeRows(layer, slot, 1, k[i*d:], v[i*d:])
		kc.storeRows(layer, slot+r, 1, k[i*d:], v[i*d:])
	}
}

// storeRows writes n rows of keys and values at row row.
func (kc *kvCache) storeRows(layer, row, n int, k, v []float32) {
	d := kc.kvDim
	if !kc.f16 {
		copy(kc.k[layer][row*d:(row+n)*d], k[:n*d])
		copy(kc.v[layer][row*d:(row+n)*d], v[:n*d])
		return
	}
	k16, v16 := kc.k16[layer][row*d:(row+n)*d], kc.v16[layer][row*d:(row+n)*d]
	for i := range k16 {
		k16[i] = tensor.F32ToF16(k[i])
		v16[i] = tensor.F32ToF16(v[i])
	}
}

// layer is the cache of layer l as the attention of a batch at positions
// pos0.. takes it, and pos0 counted in its rows: for a ring, the rows from
// the first position the batch's window reaches.
func (kc *kvCache) layer(l, pos0 int) (tensor.KV, int) {
	r := kc.ring[l]
	lo := 0
	if r > 0 {
		lo = max(0, pos0-kc.window+1)
	}
	off := lo % max(r, 1) * kc.kvDim
	if kc.f16 {
		return tensor.KV{K16: kc.k16[l][off:], V16: kc.v16[l][off:]}, pos0 - lo
	}
	return tensor.KV{K: kc.k[l][off:], V: kc.v[l][off:]}, pos0 - lo
}

// keeps reports whether, after rolling back to n positions, every ring
// still holds the window before n (max(0, n-Window+1)..n-1).
func (kc *kvCache) keeps(n int) bool {
	for _, r := range kc.ring {
		if r > 0 && max(0, n-kc.window+1) < kc.hw-r {
			return false
		}
	}
	return true
}
