package llama

import (
	"fmt"

	"burrow/inference/tensor"
)

// KVType is the element type of the KV cache.
type KVType int

const (
	// KVF32 keeps keys and values in float32, llama.cpp's "-ctk f32 -ctv f32"
	// without flash attention: the closest to exact attention, and the
	// zero value, so the engine's reference checks state nothing.
	KVF32 KVType = iota
	// KVF16 keeps them in half precision, attended with llama.cpp's
	// arithmetic without flash attention (node-llama-cpp's default, and
	// the faster one here): half the memory of F32.
	KVF16
	// KVQ8_0 keeps them as Q8_0 blocks (34 bytes per 32 values, about half
	// of F16) with llama.cpp's flash attention over a q8_0 cache, its
	// "-ctk q8_0 -ctv q8_0 -fa on". The head size must be a multiple of 32.
	KVQ8_0
	// KVF16Flash is an F16 cache attended with llama.cpp's flash attention
	// arithmetic ("-fa on", llama-perplexity's default): an F16 running sum.
	KVF16Flash
)

// DefaultKV is the cache a user gets without choosing one: F16, as in
// llama.cpp, Ollama and LM Studio. Half the memory of F32, and at least as
// fast here: attention reads half the bytes.
const DefaultKV = KVF16

// isF16 reports whether t stores the cache in F16.
func (t KVType) isF16() bool { return t == KVF16 || t == KVF16Flash }

func (t KVType) String() string {
	switch t {
	case KVF32:
		return "f32"
	case KVF16:
		return "f16"
	case KVQ8_0:
		return "q8_0"
	case KVF16Flash:
		return "f16-flash"
	}
	return fmt.Sprintf("KVType(%d)", int(t))
}

// ParseKVType reads "f32", "f16" or "q8_0".
func ParseKVType(s string) (KVType, error) {
	switch s {
	case "f32", "F32":
		return KVF32, nil
	case "f16", "F16":
		return KVF16, nil
	case "q8_0", "Q8_0":
		return KVQ8_0, nil
	case "f16-flash", "F16-flash":
		return KVF16Flash, nil
	}
	return 0, fmt.Errorf("unknown KV cache type %q (f32, f16, q8_0, f16-flash)", s)
}

// rowBytes is the memory one cache row of kvDim values takes.
func (t KVType) rowBytes(kvDim int) uint64 {
	switch t {
	case KVF16, KVF16Flash:
		return 2 * uint64(kvDim)
	case KVQ8_0:
		return uint64(tensor.Q8_0KVRowBytes(kvDim))
	}
	return 4 * uint64(kvDim)
}

// kind is the tensor package's name for t.
func (t KVType) kind() tensor.KVKind {
	switch t {
	case KVF16:
		return tensor.KVKindF16NoFlash
	case KVF16Flash:
		return tensor.KVKindF16
	case KVQ8_0:
		return tensor.KVKindQ8_0
	}
	return tensor.KVKindF32
}

// kvCache holds the keys and values of the positions the attention still
// needs. Each layer has one contiguous buffer for keys and one for values,
// laid out [row][its KV width] (gemma4's layers differ), in F32 (k, v), F16 (k16, v16) or Q8_0 (k8, v8: rows
// of rb bytes). A global layer's
// row p is position p. A sliding-window layer whose window is much shorter
// than the context keeps a ring of R = Window+batch positions instead, each
// stored twice (rows p%R and p%R+R), so any R consecutive positions are
// consecutive rows and the attention reads them in order as from a linear
// cache: same arithmetic, window-sized memory.
type kvCache struct {
	kvDims   []int // per layer: values in a row (0: no cache of its own)
	typ      KVType
	rot      []kvRotation // per layer: llama.cpp's rotation around a quantized cache
	k, v     [][]float32  // per layer, F32 cache
	k16, v16 [][]uint16   // per layer, F16 cache
	k8, v8   [][]byte     // per layer, Q8_0 cache
	ring     []int        // per layer: R, or 0 for a linear cache
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
	if c.KVSource(l) != l {
		return 0, 0 // reads an earlier layer's cache (gemma4)
	}
	if r := c.Window + batch; c.Local(l) && 2*r < ctxLen && !kvRingOff {
		return 2 * r, r
	}
	return ctxLen, 0
}

// kvCacheBytes is the memory a cache for ctxLen positions takes.
func kvCacheBytes(c *Config, ctxLen, batch int, t KVType) uint64 {
	var b uint64
	for l := 0; l < c.Layers; l++ {
		r, _ := kvLayerRows(c, l, ctxLen, batch)
		b += 2 * uint64(r) * t.rowBytes(kvLayerDim(c, l))
	}
	return b
}

// kvLayerDim is the width of one position's keys (or values) in layer l's
// cache.
func kvLayerDim(c *Config, l int) int { return c.LayerKVHeads(l) * c.LayerHeadDim(l) }

func newKVCache(c *Config, ctxLen, batch int, t KVType) kvCache {
	kc := kvCache{typ: t, window: c.Window}
	for l := 0; l < c.Layers; l++ {
		rows, ring := kvLayerRows(c, l, ctxLen, batch)
		d := kvLayerDim(c, l)
		n := rows * d
		kc.kvDims = append(kc.kvDims, d)
		kc.rot = append(kc.rot, newKVRotation(c.LayerHeadDim(l), t))
		kc.ring = append(kc.ring, ring)
		switch t {
		case KVF16, KVF16Flash:
			kc.k16 = append(kc.k16, make([]uint16, n))
			kc.v16 = append(kc.v16, make([]uint16, n))
		case KVQ8_0:
			rb := tensor.Q8_0KVRowBytes(d)
			kc.k8 = append(kc.k8, make([]byte, rows*rb))
			kc.v8 = append(kc.v8, make([]byte, rows*rb))
		default:
			kc.k = append(kc.k, make([]float32, n))
			kc.v = append(kc.v, make([]float32, n))
		}
	}
	return kc
}

// store writes n positions of keys and values (rows of kvDim) at pos.
func (kc *kvCache) store(layer, pos, n int, k, v []float32) {
	kc.hw = max(kc.hw, pos+n)
	d, r := kc.kvDims[layer], kc.ring[layer]
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
	d := kc.kvDims[layer]
	switch kc.typ {
	case KVF32:
		copy(kc.k[layer][row*d:(row+n)*d], k[:n*d])
		copy(kc.v[layer][row*d:(row+n)*d], v[:n*d])
		return
	case KVQ8_0:
		// Whole rows at once: a row is KVHeads*HeadDim/32 blocks, none
		// straddling two heads.
		rb := tensor.Q8_0KVRowBytes(d)
		tensor.QuantizeQ8_0KV(kc.k8[layer][row*rb:(row+n)*rb], k[:n*d])
		tensor.QuantizeQ8_0KV(kc.v8[layer][row*rb:(row+n)*rb], v[:n*d])
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
	row := lo % max(r, 1)
	off := row * kc.kvDims[l]
	switch kc.typ {
	case KVF16, KVF16Flash:
		return tensor.KV{K16: kc.k16[l][off:], V16: kc.v16[l][off:], NoFlash: kc.typ == KVF16}, pos0 - lo
	case KVQ8_0:
		rb := tensor.Q8_0KVRowBytes(kc.kvDims[l])
		return tensor.KV{K8: kc.k8[l][row*rb:], V8: kc.v8[l][row*rb:]}, pos0 - lo
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
