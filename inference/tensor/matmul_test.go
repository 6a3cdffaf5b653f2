package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// matmulRef is the plain twin of MatMul: dequantize the weights, give the
// input the form llama.cpp gives it for that weight type, dot in float64.
func matmulRef(typ gguf.Type, w []byte, rows, cols int, x []float32, n int) (out, mag []float64) {
	out, mag = make([]float64, n*rows), make([]float64, n*rows)
	wr, xr := make([]float32, cols), make([]float32, cols)
	rb := int(typ.RowSize(int64(cols)))
	for t := 0; t < n; t++ {
		in := x[t*cols : (t+1)*cols]
		// The form the kernels read, rounded as they round it.
		wt := lookup(typ)
		f := wt.form
		if wt.formFor != nil {
			f = wt.formFor(n, cols)
		}
		var row []byte
		if d := forms[f]; d.convert != nil {
			row = make([]byte, d.rowBytes(cols))
			d.convert(row, in)
			d.toF32(xr, row)
		} else {
			copy(xr, in)
		}
		for r := 0; r < rows; r++ {
			_ = DequantizeRow(typ, wr, w[r*rb:])
			var s, m float64
			for i := range wr {
				s += float64(wr[i]) * float64(xr[i])
				m += math.Abs(float64(wr[i]) * float64(xr[i]))
			}
			if f == formQ8_1 {
				// Q8_1's s = F16(d8*sum(q8)) meets the weights' min.
				s += q8_1MinTerm(w[r*rb:], row, typ.TypeSize(), cols/lqBlock)
			}
			out[t*rows+r], mag[t*rows+r] = s, m
		}
	}
	return out, mag
}

// kernelSets runs f with the plain twins and then with each assembly set
// this CPU runs (AVX2, and AVX2 with AVX-512 VNNI where there is VNNI).
func kernelSets(t *testing.T, f func(t *testing.T)) {
	t.Cleanup(useFastIfAvailable)
	usePlain()
	t.Run("plain", f)
	for _, s := range fastSets() {
		use(s)
		t.Run(s.name, f)
	}
}

func useFastIfAvailable() {
	usePlain()
	if haveAVX2 {
		useFast()
	}
}

func TestMatMul(t *testing.T) { kernelSets(t, testMatMul) }

func testMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	shapes := []struct{ rows, cols, n int }{
		{1, 32, 1}, {3, 64, 1}, {17, 96, 2}, {33, 32 * 7, 5}, {16, 256, 3}, {100, 512, 1}, {5, 32 * 33, 9},
	}
	pools := []*Pool{nil, NewPool(1), NewPool(2), NewPool(3)}
	defer func() {
		for _, p := range pools {
			p.Close()
		}
	}()
	for _, typ := range SupportedTypes() {
		for _, sh := range shapes {
			if sh.cols%typ.BlockSize() != 0 {
				continue
			}
			w := encodeRows(t, typ, randF32(r, sh.rows*sh.cols, 0.5), sh.cols)
			m, err := NewMatrix(typ, sh.rows, sh.cols, w)
			if err != nil {
				t.Fatal(err)
			}
			x := randF32(r, sh.n*sh.cols, 2)
			want, mag := matmulRef(typ, w, sh.rows, sh.cols, x, sh.n)
			a := NewActivations(sh.n+2, sh.cols)
			a.Set(x, sh.n)
			for pi, p := range pools {
				t.Run(fmt.Sprintf("%s/%dx%dx%d/pool%d", typ, sh.rows, sh.cols, sh.n, pi), func(t *testing.T) {
					out := make([]float32, sh.n*sh.rows)
					MatMul(p, out, m, a)
					for i := range out {
						if !closeRel(float64(out[i]), want[i], mag[i], 1e-5) {
							t.Fatalf("out[%d] = %v, want %v (magnitude %v)", i, out[i], want[i], mag[i])
						}
					}
				})
			}
		}
	}
}

// TestMatMulMulti: one fused call gives what separate calls give, with
// matrices of different types and heights sharing one input.
func TestMatMulMulti(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const cols, n = 128, 3
	types := []gguf.Type{gguf.TypeQ8_0, gguf.TypeF16, gguf.TypeQ8_0, gguf.TypeF32}
	heights := []int{40, 7, 16, 33}
	var ms []*Matrix
	for i, typ := range types {
		m, err := NewMatrix(typ, heights[i], cols, encodeRows(t, typ, randF32(r, heights[i]*cols, 1), cols))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	a := NewActivations(n, cols)
	a.Set(randF32(r, n*cols, 1), n)
	p := NewPool(2)
	defer p.Close()
	outs := make([][]float32, len(ms))
	for i, m := range ms {
		outs[i] = make([]float32, n*m.Rows)
	}
	MatMulMulti(p, outs, ms, a)
	for i, m := range ms {
		want := make([]float32, n*m.Rows)
		MatMul(nil, want, m, a)
		for j := range want {
			if outs[i][j] != want[j] {
				t.Fatalf("matrix %d out[%d] = %v, want %v", i, j, outs[i][j], want[j])
			}
		}
	}
}

// TestActivationsReset: a new Set invalidates the quantized form.
func TestActivationsReset(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	w := encodeRows(t, gguf.TypeQ8_0, randF32(r, 4*64, 1), 64)
	m, _ := NewMatrix(gguf.TypeQ8_0, 4, 64, w)
	a := NewActivations(2, 64)
	x1, x2 := randF32(r, 64, 1), randF32(r, 64, 1)
	got, want := make([]float32, 4), make([]float32, 4)
	a.Set(x1, 1)
	MatMul(nil, got, m, a)
	a.Set(x2, 1)
	MatMul(nil, got, m, a)
	b := NewActivations(1, 64)
	b.Set(x2, 1)
	MatMul(nil, want, m, b)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stale activations: out[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
