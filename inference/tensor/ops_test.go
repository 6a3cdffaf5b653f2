package tensor

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

func TestRMSNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 7, 64, 1000} {
		x, w := randF32(r, n, 3), randF32(r, n, 1)
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		out := make([]float32, n)
		RMSNorm(out, x, w, 1e-5)
		RMSNorm(x, x, nil, 1e-5) // in place, no weight
		for i := range out {
			want := float64(x[i]) * float64(w[i])
			if !closeRel(float64(out[i]), want, math.Abs(want), 1e-6) {
				t.Fatalf("n=%d out[%d] = %v, want %v", n, i, out[i], want)
			}
		}
		var ms float64
		for _, v := range x {
			ms += float64(v) * float64(v)
		}
		if ms /= float64(n); math.Abs(ms-1) > 1e-3 && ss/float64(n) > 1e-3 {
			t.Fatalf("n=%d: mean square after norm = %v", n, ms)
		}
	}
}

// ropeRef rotates with angles computed the way ggml does (float32 theta
// multiplied up pair by pair) but the rotation in float64.
func ropeRef(x []float32, nHeads, headDim, ropeDim, pos int, base float32, neox bool, ff []float32) []float32 {
	y := append([]float32(nil), x...)
	half := ropeDim / 2
	thetaScale := float32(math.Pow(float64(base), float64(float32(-2)/float32(ropeDim))))
	theta := float32(pos)
	angles := make([]float64, half)
	for i := range angles {
		f := float32(1)
		if ff != nil {
			f = ff[i]
		}
		angles[i] = float64(theta / f)
		theta *= thetaScale
	}
	for h := 0; h < nHeads; h++ {
		for i := 0; i < half; i++ {
			i0, i1 := h*headDim+2*i, h*headDim+2*i+1
			if neox {
				i0, i1 = h*headDim+i, h*headDim+i+half
			}
			c, s := math.Cos(angles[i]), math.Sin(angles[i])
			a, b := float64(x[i0]), float64(x[i1])
			y[i0], y[i1] = float32(a*c-b*s), float32(a*s+b*c)
		}
	}
	return y
}

func TestRoPE(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	tests := []struct {
		nHeads, headDim, ropeDim, pos int
		neox, ff                      bool
	}{
		{1, 2, 2, 0, false, false}, {3, 8, 8, 5, false, false}, {3, 8, 8, 5, true, false},
		{4, 64, 64, 1234, false, true}, {2, 128, 128, 77, true, true}, {2, 80, 80, 300, true, false},
		{2, 16, 8, 9, false, false}, {2, 16, 8, 9, true, false},
	}
	for _, tc := range tests {
		x := randF32(r, tc.nHeads*tc.headDim, 1)
		var ff []float32
		if tc.ff {
			ff = make([]float32, tc.ropeDim/2)
			for i := range ff {
				ff[i] = 1 + float32(i%5)
			}
		}
		want := ropeRef(x, tc.nHeads, tc.headDim, tc.ropeDim, tc.pos, 10000, tc.neox, ff)
		RoPE(x, tc.nHeads, tc.headDim, tc.ropeDim, tc.pos, 10000, tc.neox, ff)
		for i := range x {
			if math.Abs(float64(x[i]-want[i])) > 1e-6 {
				t.Fatalf("%+v: x[%d] = %v, want %v", tc, i, x[i], want[i])
			}
		}
	}
}

// TestRoPEAngles: the float32 angle recurrence stays near the exact formula.
func TestRoPEAngles(t *testing.T) {
	cs, sn := make([]float32, 32), make([]float32, 32)
	ropeAngles(cs, sn, 100, 64, 500000, 1, nil, nil)
	for i := range cs {
		th := 100 * math.Pow(500000, -2*float64(i)/64)
		if math.Abs(float64(cs[i])-math.Cos(th)) > 1e-4 || math.Abs(float64(sn[i])-math.Sin(th)) > 1e-4 {
			t.Fatalf("pair %d: cos %v sin %v, want %v %v", i, cs[i], sn[i], math.Cos(th), math.Sin(th))
		}
	}
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{1, 2, 9, 300} {
		x := randF32(r, n, 10)
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, float64(v))
		}
		want := make([]float64, n)
		var sum float64
		for i, v := range x {
			want[i] = math.Exp(float64(v) - mx)
			sum += want[i]
		}
		Softmax(x)
		for i := range x {
			if math.Abs(float64(x[i])-want[i]/sum) > 1e-6*want[i]/sum+1e-9 {
				t.Fatalf("n=%d x[%d] = %v, want %v", n, i, x[i], want[i]/sum)
			}
		}
	}
	x := []float32{float32(math.Inf(-1)), 0, float32(math.Inf(-1))}
	Softmax(x)
	if x[0] != 0 || x[1] != 1 || x[2] != 0 {
		t.Fatalf("masked softmax = %v", x)
	}
}

func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	g, u := randF32(r, 37, 4), randF32(r, 37, 1)
	out := make([]float32, 37)
	SwiGLU(out, g, u)
	for i := range out {
		gv := float64(g[i])
		want := gv / (1 + math.Exp(-gv)) * float64(u[i])
		if !closeRel(float64(out[i]), want, math.Abs(want), 1e-6) {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want)
		}
	}
	if SiLU(0) != 0 || SiLU(-100) != 0 || SiLU(100) != 100 {
		t.Fatalf("SiLU(0, -100, 100) = %v %v %v", SiLU(0), SiLU(-100), SiLU(100))
	}
}

// attentionRef is the textbook formula in float64.
func attentionRef(q, k, v []float32, nPos, nHead, nKVHead, hd int) []float64 {
	out := make([]float64, nHead*hd)
	kvDim := nKVHead * hd
	for h := 0; h < nHead; h++ {
		g := h / (nHead / nKVHead)
		s := make([]float64, nPos)
		mx := math.Inf(-1)
		for j := range s {
			for d := 0; d < hd; d++ {
				s[j] += float64(q[h*hd+d]) * float64(k[j*kvDim+g*hd+d])
			}
			s[j] /= math.Sqrt(float64(hd))
			mx = math.Max(mx, s[j])
		}
		var sum float64
		for j := range s {
			s[j] = math.Exp(s[j] - mx)
			sum += s[j]
		}
		for j := range s {
			for d := 0; d < hd; d++ {
				out[h*hd+d] += s[j] / sum * float64(v[j*kvDim+g*hd+d])
			}
		}
	}
	return out
}

func TestAttention(t *testing.T) { kernelSets(t, testAttention) }

func testAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	tests := []struct{ nHead, nKVHead, hd, nPos, maxPos int }{
		{1, 1, 4, 1, 3}, {4, 4, 8, 5, 9}, {2, 1, 12, 6, 6}, {4, 2, 16, 9, 9}, {6, 2, 8, 7, 10}, {8, 1, 16, 3, 4}, {32, 8, 64, 40, 41},
	}
	p := NewPool(2)
	defer p.Close()
	for _, tc := range tests {
		kvDim := tc.nKVHead * tc.hd
		q := randF32(r, tc.nHead*tc.hd, 1)
		k, v := randF32(r, tc.maxPos*kvDim, 1), randF32(r, tc.maxPos*kvDim, 1)
		want := attentionRef(q, k, v, tc.nPos, tc.nHead, tc.nKVHead, tc.hd)
		for _, pool := range []*Pool{nil, p} {
			out := make([]float32, tc.nHead*tc.hd)
			scratch := make([]float32, AttentionScratch(tc.nHead, tc.hd, tc.nPos))
			// Positions at and beyond nPos must not matter (causality).
			for i := tc.nPos * kvDim; i < len(k); i++ {
				k[i], v[i] = float32(math.NaN()), float32(math.NaN())
			}
			Attention(pool, out, q, k, v, tc.nPos, tc.nHead, tc.nKVHead, tc.hd, scratch)
			for i := range out {
				if math.Abs(float64(out[i])-want[i]) > 1e-5 {
					t.Fatalf("%+v: out[%d] = %v, want %v", tc, i, out[i], want[i])
				}
			}
		}
	}
}

func TestPoolRun(t *testing.T) {
	for _, threads := range []int{0, 1, 2, 3, 8} {
		p := NewPool(threads)
		for _, n := range []int{0, 1, 2, 5, 31, 1000} {
			hits := make([]atomic.Int32, n)
			for range 3 { // reuse across runs
				p.Run(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				})
			}
			for i := range hits {
				if hits[i].Load() != 3 {
					t.Fatalf("threads=%d n=%d: index %d ran %d times in 3 runs", threads, n, i, hits[i].Load())
				}
			}
		}
		if want := max(threads, 1); p.Threads() != want {
			t.Fatalf("Threads() = %d, want %d", p.Threads(), want)
		}
		p.Close()
		p.Close() // idempotent
	}
	var nilPool *Pool
	sum := 0
	nilPool.Run(10, func(lo, hi int) { sum += hi - lo })
	if sum != 10 || nilPool.Threads() != 1 {
		t.Fatalf("nil pool: covered %d, threads %d", sum, nilPool.Threads())
	}
}

func TestPhysicalCores(t *testing.T) {
	root := t.TempDir()
	// Two packages, two cores each, two hyper-threads per core.
	cpu := 0
	for pkg := 0; pkg < 2; pkg++ {
		for core := 0; core < 2; core++ {
			for ht := 0; ht < 2; ht++ {
				d := filepath.Join(root, "cpu"+itoa(cpu), "topology")
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(d, "core_id"), []byte(itoa(core)+"\n"), 0o644)
				os.WriteFile(filepath.Join(d, "physical_package_id"), []byte(itoa(pkg)+"\n"), 0o644)
				cpu++
			}
		}
	}
	if n := physicalCores(root); n != 4 {
		t.Fatalf("physicalCores = %d, want 4", n)
	}
	if n := physicalCores(t.TempDir()); n != 0 {
		t.Fatalf("physicalCores(empty) = %d", n)
	}
	if DefaultThreads() < 1 {
		t.Fatal("DefaultThreads < 1")
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestExpV(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := 0; i < 200000; i++ {
		x := float32(r.Float64()*190 - 100) // -100 .. 90
		got, want := float64(expV(x)), math.Exp(float64(x))
		if math.IsInf(want, 0) || want < 1.2e-38 { // overflow, subnormal results
			continue
		}
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		if math.Abs(got-want) > 2.5*ulp { // documented: 1.45 ulp + 0.5 for rounding
			t.Fatalf("expV(%v) = %v, exp = %v (%.2f ulp)", x, got, want, math.Abs(got-want)/ulp)
		}
	}
	tests := []struct{ in, want float32 }{
		{0, 1}, {float32(math.Inf(-1)), 0}, {-200, 0}, {200, float32(math.Inf(1))}, {float32(math.Inf(1)), float32(math.Inf(1))},
	}
	for _, tc := range tests {
		if got := expV(tc.in); got != tc.want {
			t.Errorf("expV(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := expV(float32(math.NaN())); got == got {
		t.Errorf("expV(NaN) = %v", got)
	}
}

// TestReduce16 checks the lane order with values whose float32 sums depend on it.
func TestReduce16(t *testing.T) {
	var a [16]float32
	for i := range a {
		a[i] = float32(i + 1)
	}
	if got := reduce16(&a); got != 136 {
		t.Fatalf("reduce16(1..16) = %v", got)
	}
	a = [16]float32{}
	a[0], a[8], a[4] = 1e8, -1e8, 1 // (a0+a8) first: exact cancellation keeps the 1
	if got := reduce16(&a); got != 1 {
		t.Fatalf("reduce16 order: got %v, want 1", got)
	}
}

// TestExpSub: the eight-lane assembly gives expV's bits on softmax inputs,
// including results that are subnormal or flush to zero.
func TestExpSub(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	x := make([]float32, 4096+5)
	for i := range x {
		switch i % 4 {
		case 0:
			x[i] = -float32(r.Float64() * 5)
		case 1:
			x[i] = -float32(r.Float64() * 90)
		case 2:
			x[i] = -85 - float32(r.Float64()*50) // subnormal results and zeros
		default:
			x[i] = -float32(r.ExpFloat64())
		}
	}
	x[7], x[8] = float32(math.Inf(-1)), 0
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = expV(v - 0.5)
	}
	got := append([]float32(nil), x...)
	expSub(got, 0.5)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("x=%v: %v (%#x), expV %v (%#x)", x[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestSwiGLUMatchesSiluV: the chunked vector path gives siluV(g)*u's bits,
// also around overflow (|g| near 88) and for NaN-free extremes.
func TestSwiGLUMatchesSiluV(t *testing.T) { kernelSets(t, testSwiGLUMatchesSiluV) }

func testSwiGLUMatchesSiluV(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, n := range []int{16, 17, 64, 100, 1000} {
		g, u := randF32(r, n, 6), randF32(r, n, 1)
		if n > 20 {
			g[3], g[19], g[5] = -95, 95, -87.9
		}
		got := make([]float32, n)
		SwiGLU(got, g, u)
		for i := range got {
			want := siluV(g[i]) * u[i]
			if i >= n&^15 {
				want = SiLU(g[i]) * u[i]
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d g=%v: %v, want %v", n, g[i], got[i], want)
			}
		}
	}
}
