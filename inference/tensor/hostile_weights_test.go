package tensor

import (
	"math"
	"strings"
	"testing"

	"burrow/inference/gguf"
)

// Hostile weights: a file may hold any bytes for a matrix, so scales that
// are NaN or infinite (F16 d/dmin of the K-quants and the 32-blocks, the E8M0
// exponent 255 of MXFP4) and any quants. Loading such a matrix (repacks
// included), dequantizing its rows and multiplying it by one row or a batch
// must never panic, and every kernel set must give a finite output exactly
// where the plain twins do (the Q8_0 kernels sum in llama.cpp's lane order,
// so finite values may differ in the last bits, and an infinite scale times
// a lane whose partial sum is 0 makes NaN where the block sum makes Inf):
// broken scales give non-finite outputs the caller can see, not a crash or
// a kernel that reads them differently.

// hostileMatMul multiplies m by n rows of x on the current kernel set.
func hostileMatMul(m *Matrix, x []float32, n int) []float32 {
	a := NewActivations(n, m.Cols)
	a.Set(x, n)
	out := make([]float32, n*m.Rows)
	MatMul(NewPool(2), out, m, a)
	return out
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func checkHostileWeights(t *testing.T, typ gguf.Type, rows, nb int, data []byte, xs float32) {
	cols := nb * typ.BlockSize()
	w := make([]byte, rows*int(typ.RowSize(int64(cols))))
	for i := range w { // the fuzzer's bytes, repeated
		w[i] = data[i%len(data)] ^ byte(i/len(data))
	}
	x := make([]float32, 5*cols)
	for i := range x {
		x[i] = xs * float32(math.Sin(float64(i)))
	}
	x[len(x)/2] = xs // the fuzzer's value itself (NaN, Inf, huge) in the batch
	defer useFastIfAvailable()
	usePlain()
	m, err := NewMatrix(typ, rows, cols, w)
	if err != nil {
		t.Fatalf("%s %dx%d: %v", typ, rows, cols, err)
	}
	row := make([]float32, cols)
	for r := 0; r < rows; r++ {
		m.RowF32(r, row)
	}
	if err := DequantizeRow(typ, row, w[:m.RowBytes]); err != nil {
		t.Fatal(err)
	}
	want1, want5 := hostileMatMul(m, x[:cols], 1), hostileMatMul(m, x, 5)
	// Finite inputs this small cannot overflow a sum in one order and not
	// in another, so finiteness is the same in every order.
	compare := !(math.Abs(float64(xs)) > 1e3)
	for _, s := range fastSets() {
		use(s)
		m, err := NewMatrix(typ, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			n         int
			got, want []float32
		}{{1, hostileMatMul(m, x[:cols], 1), want1}, {5, hostileMatMul(m, x, 5), want5}} {
			for i := range c.got {
				if compare && finite(c.got[i]) != finite(c.want[i]) {
					t.Fatalf("%s %dx%d, %d input rows: %s out[%d] = %v, plain %v", typ, rows, cols, c.n, s.name, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

func FuzzHostileWeights(f *testing.F) {
	nan16, inf16 := []byte{0x00, 0x7e}, []byte{0x00, 0x7c}
	for i := range SupportedTypes() {
		f.Add(uint8(i), uint8(8), uint8(1), []byte{0xff}, float32(1))               // every F16 scale NaN, MXFP4's E8M0 255
		f.Add(uint8(i), uint8(3), uint8(2), inf16, float32(1))                      // +Inf scales
		f.Add(uint8(i), uint8(16), uint8(1), append(nan16, 1, 2, 3), float32(1e30)) // mixed, huge input
		f.Add(uint8(i), uint8(8), uint8(2), []byte{1, 2, 3, 4, 5}, float32(math.Inf(-1)))
	}
	f.Fuzz(func(t *testing.T, ti, rows, nb uint8, data []byte, xs float32) {
		types := SupportedTypes()
		if len(data) == 0 {
			return
		}
		// Rows 1..24 cover the 8-row repacks (and rows they do not take).
		checkHostileWeights(t, types[int(ti)%len(types)], 1+int(rows)%24, 1+int(nb)%2, data, xs)
	})
}

// TestHostileScales: every supported type with every scale NaN, +Inf or
// -Inf (and then the quants random) loads and multiplies without a panic,
// the assembly agreeing with the plain twins.
func TestHostileScales(t *testing.T) {
	for _, typ := range SupportedTypes() {
		for _, pat := range [][]byte{{0xff}, {0x00, 0x7c}, {0x00, 0xfc}, {0x00, 0x7e, 0x11, 0x93, 0x5a}} {
			for _, rows := range []int{8, 5} {
				checkHostileWeights(t, typ, rows, 2, pat, 1)
			}
		}
	}
}

// TestNewMatrixRejectsBadShapes: a row length that is not a multiple of the
// type's block, or data of the wrong size, is an error naming the type and
// the numbers, not a panic.
func TestNewMatrixRejectsBadShapes(t *testing.T) {
	for _, typ := range SupportedTypes() {
		bs := typ.BlockSize()
		if bs > 1 {
			cols := bs + bs/2
			_, err := NewMatrix(typ, 8, cols, make([]byte, 8*int(typ.RowSize(int64(2*bs)))))
			if err == nil || !strings.Contains(err.Error(), "not a multiple of the block size") || !strings.Contains(err.Error(), typ.String()) {
				t.Errorf("%s with rows of %d: error %v", typ, cols, err)
			}
		}
		rb := int(typ.RowSize(int64(bs)))
		_, err := NewMatrix(typ, 8, bs, make([]byte, 8*rb-1))
		if err == nil || !strings.Contains(err.Error(), "needs") {
			t.Errorf("%s short by a byte: error %v", typ, err)
		}
		if err := DequantizeRow(typ, make([]float32, bs), make([]byte, rb-1)); err == nil {
			t.Errorf("%s: DequantizeRow of a short row: no error", typ)
		}
	}
}
