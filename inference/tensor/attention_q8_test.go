package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A Q8_0 KV row stores as the activation quantizer rounds (127/max, halves
// to even) and loads back within half a step of each block's scale.
func TestQ8_0KVStoreLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	x := randF32(r, 4*32, 2)
	x[5], x[40] = 0, -3.5 // a zero and a block maximum
	for i := 64; i < 96; i++ {
		x[i] = 0 // an all-zero block: scale 0, quants 0
	}
	row := make([]byte, Q8_0KVRowBytes(len(x)))
	QuantizeQ8_0KV(row, x)
	want := make([]byte, len(row))
	quantizeQ8_0Act(want, x)
	if string(row) != string(want) {
		t.Fatal("QuantizeQ8_0KV differs from the activation quantizer")
	}
	if len(row) != 4*34 {
		t.Fatalf("row of %d bytes, want %d", len(row), 4*34)
	}
	back := make([]float32, len(x))
	DequantizeQ8_0KV(back, row)
	for b := 0; b < 4; b++ {
		var amax float32
		for _, v := range x[b*32 : (b+1)*32] {
			amax = max(amax, abs32(v))
		}
		d := float64(F16ToF32(F32ToF16(amax / 127)))
		for i := b * 32; i < (b+1)*32; i++ {
			// Half a step, plus the scale's F16 rounding over 127 steps.
			if math.Abs(float64(back[i]-x[i])) > d/2+float64(amax)*1e-3 {
				t.Fatalf("value %d: %v back as %v (step %v)", i, x[i], back[i], d)
			}
		}
	}
	for i := 64; i < 96; i++ {
		if back[i] != 0 {
			t.Fatalf("zero block value %d back as %v", i, back[i])
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("QuantizeQ8_0KV of 33 values did not panic")
			}
		}()
		QuantizeQ8_0KV(make([]byte, 100), make([]float32, 33))
	}()
}

// The Go lane-order dot equals the assembly Q8_0 dot bit for bit.
func TestDotQ8_0LanesGo(t *testing.T) { kernelSets(t, testDotQ8_0LanesGo) }

func testDotQ8_0LanesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	dot := q8KVDot()
	for _, nb := range []int{1, 2, 3, 4, 8} {
		for trial := 0; trial < 50; trial++ {
			x, y := randQ8(r, nb, false), randQ8(r, nb, false)
			if got, want := dot(x, y, nb), dotQ8_0LanesGo(x, y, nb); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("nb=%d: kernel %v, Go lanes %v", nb, got, want)
			}
			if active != plainSet {
				if got, want := dotQ8_0LanesGo(x, y, nb), dotQ8_0Lanes(x, y, nb); got != want {
					t.Fatalf("nb=%d: Go lanes %v, test model %v", nb, got, want)
				}
			}
		}
	}
}

// q8Cache quantizes F32 keys and values into a Q8_0 cache.
func q8Cache(k, v []float32) (k8, v8 []byte) {
	k8, v8 = make([]byte, Q8_0RowSize(len(k))), make([]byte, Q8_0RowSize(len(v)))
	QuantizeQ8_0KV(k8, k)
	QuantizeQ8_0KV(v8, v)
	return k8, v8
}

// AttentionQ8_0's block kernel equals the per-position model bit for bit,
// with and without a soft cap, and stays close to exact attention over
// the dequantized cache.
func TestAttentionQ8_0MatchesPlain(t *testing.T) { kernelSets(t, testAttentionQ8_0MatchesPlain) }

func testAttentionQ8_0MatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	for _, hd := range []int{32, 64, 128} {
		for _, nPos := range []int{1, 2, 31, 32, 33, 100} {
			const kvHeads = 2
			kvDim := kvHeads * hd
			k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
			k8, v8 := q8Cache(k, v)
			rb := Q8_0RowSize(kvDim)
			q := randF32(r, hd, 1)
			for _, softcap := range []float32{0, 2} {
				off := Q8_0RowSize(hd) // KV head 1
				got, want := make([]float32, hd), make([]float32, hd)
				AttentionQ8_0(got, q, k8[off:], v8[off:], rb, nPos, 0.3, softcap, make([]byte, Q8_0RowSize(hd)), make([]float32, hd))
				attendQ8Plain(want, q, k8[off:], v8[off:], rb, nPos, 0.3, softcap)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("hd %d, %d positions, cap %v: out[%d] = %v, plain %v", hd, nPos, softcap, i, got[i], want[i])
					}
				}
				if softcap != 0 {
					continue
				}
				// Exact attention over the dequantized cache, query unquantized.
				kd, vd := make([]float32, len(k)), make([]float32, len(v))
				DequantizeQ8_0KV(kd, k8)
				DequantizeQ8_0KV(vd, v8)
				exact := exactAttention(q, kd[hd:], vd[hd:], kvDim, nPos, 0.3)
				for i := range got {
					if math.Abs(float64(got[i]-exact[i])) > 0.02 {
						t.Fatalf("hd %d, %d positions: out[%d] = %v, exact %v", hd, nPos, i, got[i], exact[i])
					}
				}
			}
		}
	}
}

// exactAttention is softmax(scale q·k) v in float64.
func exactAttention(q, k, v []float32, stride, nPos int, scale float64) []float32 {
	hd := len(q)
	s := make([]float64, nPos)
	mx := math.Inf(-1)
	for p := range s {
		for i := range q {
			s[p] += float64(q[i]) * float64(k[p*stride+i])
		}
		s[p] *= scale
		mx = math.Max(mx, s[p])
	}
	var sum float64
	out := make([]float64, hd)
	for p := range s {
		w := math.Exp(s[p] - mx)
		sum += w
		for i := range out {
			out[i] += w * float64(v[p*stride+i])
		}
	}
	res := make([]float32, hd)
	for i := range out {
		res[i] = float32(out[i] / sum)
	}
	return res
}

// AttentionBatch over a Q8_0 cache gives what AttentionQ8_0 gives token by
// token and head by head (sinks too), on any number of threads.
func TestAttentionBatchQ8_0(t *testing.T) {
	for _, hd := range []int{32, 64} {
		testAttentionBatchQ8_0(t, hd)
	}
}

func testAttentionBatchQ8_0(t *testing.T, hd int) {
	r := rand.New(rand.NewPCG(97, 98))
	const heads, kvHeads, pos0, n = 8, 2, 5, 7
	qDim, kvDim, nPos := heads*hd, kvHeads*hd, pos0+n
	q := randF32(r, n*qDim, 1)
	k8, v8 := q8Cache(randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1))
	rb, hb := Q8_0RowSize(kvDim), Q8_0RowSize(hd)
	sinks := randF32(r, heads, 2)
	for _, window := range []int{0, 4} {
		for _, sink := range []bool{false, true} {
			sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 0.2, Window: window}
			if sink {
				sh.Sinks = sinks
			}
			want := make([]float32, n*qDim)
			for tok := 0; tok < n; tok++ {
				end := pos0 + tok + 1
				first := 0
				if window > 0 && end > window {
					first = end - window
				}
				for h := 0; h < heads; h++ {
					off := first*rb + h/(heads/kvHeads)*hb
					o, qh := want[tok*qDim+h*hd:tok*qDim+(h+1)*hd], q[tok*qDim+h*hd:tok*qDim+(h+1)*hd]
					if sink {
						AttentionQ8_0Sink(o, qh, k8[off:], v8[off:], rb, end-first, sh.Scale, sinks[h], make([]byte, hb), make([]float32, hd))
					} else {
						AttentionQ8_0(o, qh, k8[off:], v8[off:], rb, end-first, sh.Scale, 0, make([]byte, hb), make([]float32, hd))
					}
				}
			}
			for _, threads := range []int{1, 2, 3} {
				p := NewPool(threads)
				got := make([]float32, n*qDim)
				AttentionBatch(p, got, q, KV{K8: k8, V8: v8}, pos0, n, sh, NewAttnScratchFor(threads, sh, nPos, KVKindQ8_0))
				p.Close()
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("window %d, sink %v, %d threads: out[%d] = %v, want %v", window, sink, threads, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// FuzzAttentionQ8_0 holds the block kernel to the per-position model on
// arbitrary caches.
func FuzzAttentionQ8_0(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(0))
	f.Add(uint64(2), uint8(40), uint8(1))
	f.Fuzz(func(t *testing.T, seed uint64, npos, capped uint8) {
		r := rand.New(rand.NewPCG(seed, 7))
		hd, nPos := 64, int(npos)%80+1
		k8, v8 := q8Cache(randF32(r, nPos*hd, 3), randF32(r, nPos*hd, 3))
		q := randF32(r, hd, 3)
		var softcap float32
		if capped%2 == 1 {
			softcap = 5
		}
		rb := Q8_0RowSize(hd)
		got, want := make([]float32, hd), make([]float32, hd)
		AttentionQ8_0(got, q, k8, v8, rb, nPos, 0.125, softcap, make([]byte, rb), make([]float32, hd))
		attendQ8Plain(want, q, k8, v8, rb, nPos, 0.125, softcap)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("out[%d] = %v, plain %v", i, got[i], want[i])
			}
		}
	})
}

// HadamardRotate is the orthonormal Sylvester matrix (built as llama.cpp's
// ggml_gen_hadamard does) times each run, and its own inverse.
func TestHadamardRotate(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 100))
	for _, n := range []int{1, 2, 64, 128, 256} {
		h := make([]float64, n*n)
		h[0] = 1 / math.Sqrt(float64(n))
		for s := 1; s < n; s *= 2 {
			for i := 0; i < s; i++ {
				for j := 0; j < s; j++ {
					v := h[i*n+j]
					h[(i+s)*n+j], h[i*n+j+s], h[(i+s)*n+j+s] = v, v, -v
				}
			}
		}
		x := randF32(r, 3*n, 2)
		y := append([]float32(nil), x...)
		HadamardRotate(y, n)
		for run := 0; run < 3; run++ {
			for i := 0; i < n; i++ {
				var want float64
				for k := 0; k < n; k++ {
					want += h[i*n+k] * float64(x[run*n+k])
				}
				if math.Abs(want-float64(y[run*n+i])) > 1e-5 {
					t.Fatalf("n=%d run %d: out[%d] = %v, want %v", n, run, i, y[run*n+i], want)
				}
			}
		}
		HadamardRotate(y, n)
		for i := range x {
			if math.Abs(float64(x[i]-y[i])) > 1e-5 {
				t.Fatalf("n=%d: twice gives %v for %v", n, y[i], x[i])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("HadamardRotate in runs of 48 did not panic")
		}
	}()
	HadamardRotate(make([]float32, 96), 48)
}

// The assembly V accumulation equals madQ8Plain bit for bit (through
// float64, fma32 could round twice; these values never meet that case).
func TestMadQ8FastMatchesPlain(t *testing.T) {
	if !haveAVX2 {
		t.Log("no AVX2 here: madQ8Fast is madQ8Plain")
	}
	r := rand.New(rand.NewPCG(105, 106))
	for _, nb := range []int{1, 2, 4} {
		for _, npos := range []int{1, 3, 33} {
			checkMadQ8(t, r, nb, npos)
		}
	}
}

func checkMadQ8(t *testing.T, r *rand.Rand, nb, npos int) {
	t.Helper()
	hd := nb * q8Block
	stride := Q8_0RowSize(hd) + 34 // a row with another head after it
	v := make([]byte, npos*stride)
	for p := 0; p < npos; p++ {
		QuantizeQ8_0KV(v[p*stride:], randF32(r, hd, 3))
	}
	ms, vs := make([]float32, npos), make([]float32, npos)
	for p := range ms {
		ms[p], vs[p] = 1, r.Float32()
		if r.IntN(3) == 0 {
			ms[p], vs[p] = r.Float32(), 1
		}
	}
	start := randF32(r, hd, 1)
	got, want := append([]float32(nil), start...), append([]float32(nil), start...)
	madQ8Fast(got, v, stride, ms, vs)
	madQ8Plain(want, v, stride, ms, vs)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("nb %d, %d positions: acc[%d] = %v, plain %v", nb, npos, i, got[i], want[i])
		}
	}
}

// FuzzMadQ8 holds the assembly V accumulation to its Go twin.
func FuzzMadQ8(f *testing.F) {
	f.Add(uint64(1), uint8(2), uint8(5))
	f.Fuzz(func(t *testing.T, seed uint64, nb, npos uint8) {
		checkMadQ8(t, rand.New(rand.NewPCG(seed, 9)), int(nb)%4+1, int(npos)%40+1)
	})
}
