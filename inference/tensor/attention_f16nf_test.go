package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionF16NoFlash: the lane kernel (plain and assembly) gives
// exactly the obvious model (one F16 dot per score and per output value),
// and that model is softmax attention within F16 rounding.
func TestAttentionF16NoFlash(t *testing.T) { kernelSets(t, testAttentionF16NoFlash) }

func testAttentionF16NoFlash(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	sink := float32(1.5)
	for _, tc := range []struct {
		hd, stride, nPos int
		softcap          float32
		sink             *float32
	}{
		{8, 32, 1, 0, nil}, {8, 32, 45, 0, nil}, {64, 64, 1, 0, nil}, {64, 512, 33, 0, nil}, {64, 128, 100, 0, nil},
		{64, 128, 64, 0, nil}, {64, 128, 65, 0, nil}, {128, 256, 200, 0, nil}, {80, 80, 20, 0, nil}, {12, 24, 9, 0, nil},
		{256, 256, 3, 0, nil}, {64, 64, 70, 5, nil}, {64, 64, 70, 0, &sink}, {40, 40, 130, 0, nil},
	} {
		for trial := 0; trial < 3; trial++ {
			q := randF32(r, tc.hd, 2)
			k16, v16 := make([]uint16, tc.nPos*tc.stride), make([]uint16, tc.nPos*tc.stride)
			convertF16(k16, randF32(r, len(k16), 1))
			convertF16(v16, randF32(r, len(v16), 1))
			scale := 1 / float32(math.Sqrt(float64(tc.hd)))
			got, want := make([]float32, tc.hd), make([]float32, tc.hd)
			n32, n16 := nfScratch(tc.hd, tc.nPos)
			AttentionF16NoFlash(got, q, k16, v16, tc.stride, tc.nPos, scale, tc.softcap, tc.sink, make([]float32, n32), make([]uint16, n16))
			attendF16NFPlain(want, q, k16, v16, tc.stride, tc.nPos, scale, tc.softcap, tc.sink)
			for d := range got {
				if math.Float32bits(got[d]) != math.Float32bits(want[d]) {
					t.Fatalf("%+v: out[%d] = %v, model %v", tc, d, got[d], want[d])
				}
			}
			if tc.softcap > 0 || tc.sink != nil {
				continue
			}
			exact := softmaxAttention64(q, k16, v16, tc.stride, tc.nPos, float64(scale))
			for d := range got {
				if e := math.Abs(float64(got[d]) - exact[d]); e > 2e-2 {
					t.Fatalf("%+v: out[%d] = %v, exact %v", tc, d, got[d], exact[d])
				}
			}
		}
	}
}

// TestWsumF16x64: the assembly lane kernel equals its Go twin bit for bit.
func TestWsumF16x64(t *testing.T) {
	if !haveAVX2 {
		t.Log("no AVX2: the assembly kernel is not tested on this machine")
		return
	}
	r := rand.New(rand.NewPCG(73, 74))
	for _, tc := range []struct{ hd, stride, npos int }{{8, 8, 1}, {32, 64, 100}, {64, 512, 200}, {40, 40, 7}, {128, 128, 65}} {
		checkWsumF16x64(t, r, tc.hd, tc.stride, tc.npos)
	}
}

func checkWsumF16x64(t *testing.T, r *rand.Rand, hd, stride, npos int) {
	v := make([]uint16, npos*stride)
	convertF16(v, randF32(r, len(v), 2))
	w := make([]uint16, npos)
	convertF16(w, randF32(r, npos, 1))
	init := randF32(r, 64*hd, 1)
	got, want := append([]float32(nil), init...), append([]float32(nil), init...)
	wsumF16x64Fast(got, v, stride, w)
	wsumF16x64Plain(want, v, stride, w)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("hd %d npos %d: lane value %d = %v, plain %v", hd, npos, i, got[i], want[i])
		}
	}
}

// FuzzAttentionF16NoFlash holds the lane kernels (the active set's) to the
// per-dimension model on arbitrary caches, and the assembly to its twin.
func FuzzAttentionF16NoFlash(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(8), uint8(0))
	f.Add(uint64(2), uint8(140), uint8(64), uint8(1))
	f.Add(uint64(3), uint8(64), uint8(40), uint8(2))
	f.Fuzz(func(t *testing.T, seed uint64, npos, hdIn, mode uint8) {
		r := rand.New(rand.NewPCG(seed, 9))
		hd, nPos := (int(hdIn)%32+1)*4, int(npos)%200+1
		stride := hd + int(mode)%3*8
		q := randF32(r, hd, 3)
		k16, v16 := make([]uint16, nPos*stride), make([]uint16, nPos*stride)
		convertF16(k16, randF32(r, len(k16), 2))
		convertF16(v16, randF32(r, len(v16), 2))
		var softcap float32
		var sink *float32
		switch mode % 3 {
		case 1:
			softcap = 5
		case 2:
			s := float32(0.5)
			sink = &s
		}
		got, want := make([]float32, hd), make([]float32, hd)
		n32, n16 := nfScratch(hd, nPos)
		AttentionF16NoFlash(got, q, k16, v16, stride, nPos, 0.125, softcap, sink, make([]float32, n32), make([]uint16, n16))
		attendF16NFPlain(want, q, k16, v16, stride, nPos, 0.125, softcap, sink)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("out[%d] = %v, plain %v", i, got[i], want[i])
			}
		}
		if haveAVX2 && hd%8 == 0 {
			checkWsumF16x64(t, r, hd, stride, nPos)
		}
	})
}

// TestAttentionBatchF16NoFlash: a batch over a no-flash F16 cache (causal
// mask, window, sinks, GQA, 1-3 threads) gives every (token, head) the
// per-dimension model's bits.
func TestAttentionBatchF16NoFlash(t *testing.T) { kernelSets(t, testAttentionBatchF16NoFlash) }

func testAttentionBatchF16NoFlash(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	const heads, kvHeads, hd, pos0, n = 4, 2, 64, 70, 5
	kvDim, qDim := kvHeads*hd, heads*hd
	k16, v16 := make([]uint16, (pos0+n)*kvDim), make([]uint16, (pos0+n)*kvDim)
	convertF16(k16, randF32(r, len(k16), 1))
	convertF16(v16, randF32(r, len(v16), 1))
	q := randF32(r, n*qDim, 2)
	sinks := randF32(r, heads, 1)
	for _, variant := range []string{"plain", "window", "sinks"} {
		sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 0.125}
		switch variant {
		case "window":
			sh.Window = 40
		case "sinks":
			sh.Sinks = sinks
		}
		for _, threads := range []int{1, 2, 3} {
			p := NewPool(threads)
			got := make([]float32, n*qDim)
			AttentionBatch(p, got, q, KV{K16: k16, V16: v16, NoFlash: true}, pos0, n, sh,
				NewAttnScratchFor(threads, sh, pos0+n, KVKindF16NoFlash))
			p.Close()
			for tok := 0; tok < n; tok++ {
				nPos, first := pos0+tok+1, 0
				if sh.Window > 0 && nPos > sh.Window {
					first = nPos - sh.Window
				}
				for h := 0; h < heads; h++ {
					var sink *float32
					if sh.Sinks != nil {
						sink = &sh.Sinks[h]
					}
					want := make([]float32, hd)
					off := first*kvDim + h/(heads/kvHeads)*hd
					attendF16NFPlain(want, q[tok*qDim+h*hd:tok*qDim+(h+1)*hd], k16[off:], v16[off:], kvDim, nPos-first, sh.Scale, 0, sink)
					for d, w := range want {
						if g := got[tok*qDim+h*hd+d]; math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%s, %d threads, token %d head %d: out[%d] = %v, model %v", variant, threads, tok, h, d, g, w)
						}
					}
				}
			}
		}
	}
}
