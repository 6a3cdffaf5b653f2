package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// splitCase is one cache of each kind holding the same keys and values.
type splitCase struct {
	kv   KV
	kind KVKind
}

func splitCaches(r *rand.Rand, nPos, kvDim int) []splitCase {
	k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	convertF16(k16, k)
	convertF16(v16, v)
	k8, v8 := q8Cache(k, v)
	return []splitCase{
		{KV{K: k, V: v}, KVKindF32},
		{KV{K16: k16, V16: v16}, KVKindF16},
		{KV{K16: k16, V16: v16, NoFlash: true}, KVKindF16NoFlash},
		{KV{K8: k8, V8: v8}, KVKindQ8_0},
	}
}

// A decoded token's attention split over positions and value columns
// (splitDecode) equals, bit for bit, the head-by-head kernels on one
// thread: F32, F16 and Q8_0 caches, 2 and 3 threads, spans ending inside,
// at and just past a block boundary, with a window, a soft cap and sinks.
func TestSplitDecodeEqualsSerial(t *testing.T) { kernelSets(t, testSplitDecodeEqualsSerial) }

func testSplitDecodeEqualsSerial(t *testing.T) {
	defer func(v int) { splitMinPos = v }(splitMinPos)
	splitMinPos = 1
	r := rand.New(rand.NewPCG(101, 102))
	pools := map[int]*Pool{2: NewPool(2), 3: NewPool(3)}
	defer func() {
		for _, p := range pools {
			p.Close()
		}
	}()
	for _, shape := range []struct{ heads, kvHeads, hd int }{{8, 2, 64}, {4, 4, 32}, {2, 1, 128}} {
		qDim, kvDim := shape.heads*shape.hd, shape.kvHeads*shape.hd
		const maxPos = 2*splitBlock + 40
		caches := splitCaches(r, maxPos, kvDim)
		sinks := randF32(r, shape.heads, 2)
		for _, nPos := range []int{1, 17, splitBlock - 1, splitBlock, splitBlock + 1, 2*splitBlock + 17} {
			q := randF32(r, qDim, 1)
			for _, variant := range []string{"plain", "window", "softcap", "sinks"} {
				sh := AttnShape{Heads: shape.heads, KVHeads: shape.kvHeads, HeadDim: shape.hd, Scale: 0.3}
				switch variant {
				case "window":
					sh.Window = splitBlock + 5
				case "softcap":
					sh.Softcap = 2
				case "sinks":
					sh.Sinks = sinks
				}
				for _, c := range caches {
					name := fmt.Sprintf("%dx%d/%d kind %d, %d positions, %s", shape.heads, shape.hd, shape.kvHeads, c.kind, nPos, variant)
					want := make([]float32, qDim)
					AttentionBatch(nil, want, q, c.kv, nPos-1, 1, sh, NewAttnScratchFor(1, sh, maxPos, c.kind))
					for threads, p := range pools {
						s := NewAttnScratchFor(threads, sh, maxPos, c.kind)
						got := make([]float32, qDim)
						AttentionBatch(p, got, q, c.kv, nPos-1, 1, sh, s)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s, %d threads: out[%d] = %v, serial %v", name, threads, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// The split path runs (rather than falling back) and allocates nothing.
func TestSplitDecodeRunsWithoutAllocating(t *testing.T) {
	r := rand.New(rand.NewPCG(103, 104))
	sh := AttnShape{Heads: 4, KVHeads: 2, HeadDim: 64, Scale: 0.125}
	nPos := splitMinPos + 3
	p := NewPool(2)
	defer p.Close()
	for _, c := range splitCaches(r, nPos, sh.KVHeads*sh.HeadDim) {
		s := NewAttnScratchFor(2, sh, nPos, c.kind)
		q, out := randF32(r, sh.Heads*sh.HeadDim, 1), make([]float32, sh.Heads*sh.HeadDim)
		job := attentionJob{out: out, q: q, kv: c.kv, pos0: nPos - 1, n: 1, sh: sh, kind: c.kind}
		if !job.splitDecode(p, s.split) {
			t.Fatalf("kind %d: %d positions on 2 threads did not split", c.kind, nPos)
		}
		if allocs := testing.AllocsPerRun(20, func() {
			AttentionBatch(p, out, q, c.kv, nPos-1, 1, sh, s)
		}); allocs != 0 {
			t.Errorf("kind %d: %.1f allocations per call", c.kind, allocs)
		}
		if s1 := NewAttnScratchFor(1, sh, nPos, c.kind); s1.split != nil {
			t.Errorf("kind %d: one thread made split scratch", c.kind)
		}
		if got, want := AttnScratchBytesFor(2, sh, nPos, c.kind)-AttnScratchBytesFor(1, sh, nPos, c.kind),
			splitScratchBytes(2, sh, nPos, c.kind); got < want {
			t.Errorf("kind %d: scratch bytes grow by %d with a second thread, want at least the split's %d", c.kind, got, want)
		}
	}
}
