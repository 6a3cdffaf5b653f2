package llama

// kvCache holds the keys and values of every position seen so far, in F32
// (so attention matches llama.cpp's F32 KV cache). Each layer has one
// contiguous buffer for keys and one for values, laid out [pos][KVDim]:
// exactly what tensor.Attention reads.
type kvCache struct {
	kvDim int
	k, v  [][]float32 // per layer
}

// kvCacheBytes is the memory a cache for ctxLen positions takes.
func kvCacheBytes(c *Config, ctxLen int) uint64 {
	return 2 * uint64(c.Layers) * uint64(ctxLen) * uint64(c.KVDim()) * 4
}

func newKVCache(c *Config, ctxLen int) kvCache {
	kc := kvCache{kvDim: c.KVDim(), k: make([][]float32, c.Layers), v: make([][]float32, c.Layers)}
	for l := range kc.k {
		kc.k[l] = make([]float32, ctxLen*kc.kvDim)
		kc.v[l] = make([]float32, ctxLen*kc.kvDim)
	}
	return kc
}

// store writes n positions of keys and values (rows of kvDim) at pos.
func (kc *kvCache) store(layer, pos, n int, k, v []float32) {
	d := kc.kvDim
	copy(kc.k[layer][pos*d:(pos+n)*d], k[:n*d])
	copy(kc.v[layer][pos*d:(pos+n)*d], v[:n*d])
}
