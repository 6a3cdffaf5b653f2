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

// kvCache holds the keys and values of every position seen so far. Each
// layer has one contiguous buffer for keys and one for values, laid out
// [pos][KVDim], in F32 (k, v) or F16 (k16, v16).
type kvCache struct {
	kvDim    int
	f16      bool
	k, v     [][]float32 // per layer, F32 cache
	k16, v16 [][]uint16  // per layer, F16 cache
}

// kvCacheBytes is the memory a cache for ctxLen positions takes.
func kvCacheBytes(c *Config, ctxLen int, t KVType) uint64 {
	return 2 * uint64(c.Layers) * uint64(ctxLen) * uint64(c.KVDim()) * t.size()
}

func newKVCache(c *Config, ctxLen int, t KVType) kvCache {
	kc := kvCache{kvDim: c.KVDim(), f16: t == KVF16}
	n := ctxLen * kc.kvDim
	for l := 0; l < c.Layers; l++ {
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
	d := kc.kvDim
	if !kc.f16 {
		copy(kc.k[layer][pos*d:(pos+n)*d], k[:n*d])
		copy(kc.v[layer][pos*d:(pos+n)*d], v[:n*d])
		return
	}
	k16, v16 := kc.k16[layer][pos*d:(pos+n)*d], kc.v16[layer][pos*d:(pos+n)*d]
	for i := range k16 {
		k16[i] = tensor.F32ToF16(k[i])
		v16[i] = tensor.F32ToF16(v[i])
	}
}

// layer is the cache of one layer, as the attention kernels take it.
func (kc *kvCache) layer(l int) tensor.KV {
	if kc.f16 {
		return tensor.KV{K16: kc.k16[l], V16: kc.v16[l]}
	}
	return tensor.KV{K: kc.k[l], V: kc.v[l]}
}
