package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"burrow/inference/gguf"
)

func TestQuantizeQ8_0Known(t *testing.T) {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i) - 16 // amax 16: d = 16/127
	}
	x[3] = 0.5 * 16 / 127 // exactly half a step: rounds away from zero to 1
	b := make([]byte, 34)
	QuantizeQ8_0(b, x)
	d := float32(16) / 127
	if got := binary.LittleEndian.Uint16(b); got != F32ToF16(d) {
		t.Fatalf("scale %#04x, want %#04x", got, F32ToF16(d))
	}
	if q := int8(b[2+0]); q != -127 {
		t.Errorf("q[0] = %d, want -127", q)
	}
	if q := int8(b[2+3]); q != 1 {
		t.Errorf("q[3] = %d, want 1 (half away from zero)", q)
	}
	if q := int8(b[2+16]); q != 0 {
		t.Errorf("q[16] = %d, want 0", q)
	}
	zero := make([]byte, 34)
	QuantizeQ8_0(zero, make([]float32, 32))
	for i, v := range zero {
		if v != 0 {
			t.Fatalf("zero block byte %d = %d", i, v)
		}
	}
}

func TestQ8_0RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{32, 64, 96, 2048, 32 * 37} {
		x := randF32(r, n, 3)
		x[n/2] = 0
		b := make([]byte, Q8_0RowSize(n))
		QuantizeQ8_0(b, x)
		y := make([]float32, n)
		if err := DequantizeRow(gguf.TypeQ8_0, y, b); err != nil {
			t.Fatal(err)
		}
		for blk := 0; blk < n/32; blk++ {
			var amax float64
			for _, v := range x[blk*32 : blk*32+32] {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			d := F16ToF32(binary.LittleEndian.Uint16(b[blk*34:]))
			// Half a step plus the scale's own F16 rounding over 127 steps.
			tol := float64(d)/2 + amax*1e-3 + 1e-7
			for j := blk * 32; j < blk*32+32; j++ {
				if math.Abs(float64(y[j]-x[j])) > tol {
					t.Fatalf("n=%d: x[%d]=%v came back %v (d=%v)", n, j, x[j], y[j], d)
				}
			}
		}
	}
}

func TestDequantizeRow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := randF32(r, 96, 2)
types:
	for _, typ := range SupportedTypes() {
		if 96%typ.BlockSize() != 0 {
			continue
		}
		b := encodeRows(t, typ, x, 96)
		y := make([]float32, 96)
		if err := DequantizeRow(typ, y, b); err != nil {
			t.Fatal(err)
		}
		for i, v := range y {
			var want float32
			switch typ {
			case gguf.TypeF32:
				want = x[i]
			case gguf.TypeF16:
				want = F16ToF32(F32ToF16(x[i]))
			case gguf.TypeBF16:
				want = BF16ToF32(F32ToBF16(x[i]))
			case gguf.TypeQ8_0:
				blk := b[i/32*34:]
				want = float32(int8(blk[2+i%32])) * F16ToF32(binary.LittleEndian.Uint16(blk))
			default:
				continue types // other types check their dequantize in their own twin test
			}
			if v != want {
				t.Fatalf("%s: y[%d] = %v, want %v", typ, i, v, want)
			}
		}
	}
	if err := DequantizeRow(gguf.TypeIQ2_XXS, make([]float32, 256), make([]byte, 66)); err == nil {
		t.Fatal("IQ2_XXS dequantized without error")
	}
	if err := DequantizeRow(gguf.TypeQ8_0, make([]float32, 33), make([]byte, 68)); err == nil {
		t.Fatal("33 Q8_0 values accepted")
	}
	if err := DequantizeRow(gguf.TypeF16, make([]float32, 8), make([]byte, 15)); err == nil {
		t.Fatal("short F16 source accepted")
	}
}

func TestNewMatrixErrors(t *testing.T) {
	tests := []struct {
		name       string
		typ        gguf.Type
		rows, cols int
		bytes      int
		want       string
	}{
		{"unsupported", gguf.TypeIQ2_XXS, 2, 256, 132, "tensor type IQ2_XXS is not supported yet"},
		{"short", gguf.TypeF32, 2, 4, 31, "needs 32 bytes, have 31"},
		{"block", gguf.TypeQ8_0, 1, 40, 34, "not a multiple of the block size 32"},
		{"shape", gguf.TypeF16, 0, 4, 0, "bad F16 matrix shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMatrix(tc.typ, tc.rows, tc.cols, make([]byte, tc.bytes))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRowF32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x := randF32(r, 5*64, 1)
	for _, typ := range SupportedTypes() {
		if 64%typ.BlockSize() != 0 {
			continue
		}
		b := encodeRows(t, typ, x, 64)
		m, err := NewMatrix(typ, 5, 64, b)
		if err != nil {
			t.Fatal(err)
		}
		got, want := make([]float32, 64), make([]float32, 64)
		m.RowF32(3, got)
		if err := DequantizeRow(typ, want, b[3*m.RowBytes:]); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s row 3 [%d] = %v, want %v", typ, i, got[i], want[i])
			}
		}
	}
}

// TestQuantizeQ8_0Act: the activation quantizer (llama.cpp's x86 one) keeps
// the reference scale and differs from QuantizeQ8_0 only in rounding ties
// (to even) and in multiplying by 127/max rather than 1/d.
func TestQuantizeQ8_0Act(t *testing.T) {
	x := make([]float32, 32)
	x[0] = 127 // d = 1, id = 1: ties stay ties
	x[1], x[2], x[3] = 2.5, -2.5, 3.5
	ref, act := make([]byte, 34), make([]byte, 34)
	QuantizeQ8_0(ref, x)
	quantizeQ8_0Act(act, x)
	if ref[0] != act[0] || ref[1] != act[1] {
		t.Fatalf("scales differ: %x %x", ref[:2], act[:2])
	}
	want := map[int][2]int8{1: {3, 2}, 2: {-3, -2}, 3: {4, 4}}
	for i, w := range want {
		if got := [2]int8{int8(ref[2+i]), int8(act[2+i])}; got != w {
			t.Errorf("x[%d]=%v: reference, activation quants %v, want %v", i, x[i], got, w)
		}
	}
	r := rand.New(rand.NewPCG(15, 16))
	y := randF32(r, 32*64, 1)
	ref, act = make([]byte, Q8_0RowSize(len(y))), make([]byte, Q8_0RowSize(len(y)))
	QuantizeQ8_0(ref, y)
	quantizeQ8_0Act(act, y)
	for i := range ref {
		if d := int(int8(ref[i])) - int(int8(act[i])); i%34 >= 2 && (d > 1 || d < -1) {
			t.Fatalf("byte %d: reference %d, activation %d", i, int8(ref[i]), int8(act[i]))
		}
	}
}
