package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAttentionDecode is one decode token's attention in one
// Llama-3.2-1B layer (32 query heads, 8 KV heads of 64) over a cache of
// each kind and length, on 2 threads as the forward pass runs it. The 1B
// model has 16 such layers: 16 × ns/op is attention's share of a token.
// The kernels are the active set's (BURROW_KERNELS=avx2 or plain to pick
// a lesser one).
func BenchmarkAttentionDecode(b *testing.B) {
	const heads, kvHeads, hd = 32, 8, 64
	sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 0.125}
	kvDim := kvHeads * hd
	r := rand.New(rand.NewPCG(9, 9))
	p := NewPool(2)
	defer p.Close()
	for _, kind := range []KVKind{KVKindF32, KVKindF16NoFlash, KVKindF16, KVKindQ8_0} {
		for _, nPos := range []int{512, 2048, 4096} {
			name := map[KVKind]string{KVKindF32: "f32", KVKindF16NoFlash: "f16", KVKindF16: "f16-flash", KVKindQ8_0: "q8_0"}[kind]
			b.Run(fmt.Sprintf("%s/ctx=%d", name, nPos), func(b *testing.B) {
				k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
				var kv KV
				switch kind {
				case KVKindF32:
					kv = KV{K: k, V: v}
				case KVKindF16, KVKindF16NoFlash:
					kv = KV{K16: make([]uint16, len(k)), V16: make([]uint16, len(v)), NoFlash: kind == KVKindF16NoFlash}
					convertF16(kv.K16, k)
					convertF16(kv.V16, v)
				case KVKindQ8_0:
					rb := Q8_0KVRowBytes(kvDim)
					kv = KV{K8: make([]byte, nPos*rb), V8: make([]byte, nPos*rb)}
					for j := 0; j < nPos; j++ {
						QuantizeQ8_0(kv.K8[j*rb:(j+1)*rb], k[j*kvDim:(j+1)*kvDim])
						QuantizeQ8_0(kv.V8[j*rb:(j+1)*rb], v[j*kvDim:(j+1)*kvDim])
					}
				}
				q, out := randF32(r, heads*hd, 1), make([]float32, heads*hd)
				s := NewAttnScratchFor(2, sh, nPos, kind)
				b.SetBytes(int64(2 * nPos * kvDim * map[KVKind]int{KVKindF32: 4, KVKindF16NoFlash: 2, KVKindF16: 2, KVKindQ8_0: 1}[kind]))
				b.ResetTimer()
				cpu0 := cpuSeconds()
				for i := 0; i < b.N; i++ {
					AttentionBatch(p, out, q, kv, nPos-1, 1, sh, s)
				}
				// CPU time is steadier than wall time on a shared machine.
				b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(b.N), "cpu-us/op")
			})
		}
	}
}
