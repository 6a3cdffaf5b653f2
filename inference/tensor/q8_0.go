package tensor

import (
	"encoding/binary"
	"math"
)

// Q8_0 layout (ggml block_q8_0): per block of 32 values an F16 scale d
// followed by 32 int8 quants; value = d * q.
const (
	q8Block     = 32
	q8BlockSize = 34
)

// Q8_0RowSize is the byte length of n values (n a multiple of 32) in Q8_0.
func Q8_0RowSize(n int) int { return n / q8Block * q8BlockSize }

// QuantizeQ8_0 quantizes x (length a multiple of 32) into dst, which must hold
// Q8_0RowSize(len(x)) bytes. It follows ggml's quantize_row_q8_0_ref, which
// llama-quantize uses to write Q8_0 files: d = max|x|/127, q = round(x*(1/d))
// with halves away from zero. (Activations use quantizeQ8_0Act instead.)
func QuantizeQ8_0(dst []byte, x []float32) {
	if len(x)%q8Block != 0 {
		panic("tensor: QuantizeQ8_0 length is not a multiple of 32")
	}
	nb := len(x) / q8Block
	_ = dst[nb*q8BlockSize-1]
	for i := 0; i < nb; i++ {
		xb := x[i*q8Block : (i+1)*q8Block]
		blk := dst[i*q8BlockSize : (i+1)*q8BlockSize]
		var amax float32
		for _, v := range xb {
			if a := abs32(v); a > amax {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		for j, v := range xb {
			blk[2+j] = byte(int8(roundAway(v * id)))
		}
	}
}

// quantizeQ8_0Act is how llama.cpp on x86 quantizes activations
// (quantize_row_q8_0 for AVX/AVX2/AVX-512): the same scale d, but
// multiplied by 127/max|x| rather than 1/d, and rounded half to even. It
// differs from QuantizeQ8_0 in rare last-place cases, enough to move a
// small model's logits by 0.1; following it keeps Burrow's Q8_0 results
// bit-identical to llama.cpp's.
func quantizeQ8_0Act(dst []byte, x []float32) {
	nb := len(x) / q8Block
	_ = dst[nb*q8BlockSize-1]
	for i := 0; i < nb; i++ {
		xb := (*[q8Block]float32)(x[i*q8Block:])
		blk := (*[q8BlockSize]byte)(dst[i*q8BlockSize:])
		var amax float32
		for _, v := range xb {
			if a := abs32(v); a > amax {
				amax = a
			}
		}
		d := amax / 127
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		binary.LittleEndian.PutUint16(blk[:], F32ToF16(d))
		for j, v := range xb {
			blk[2+j] = byte(int8(math.RoundToEven(float64(v * id))))
		}
	}
}

// roundAway is C's roundf: nearest integer, halves away from zero.
func roundAway(x float32) float32 { return float32(math.Round(float64(x))) }

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// dequantizeQ8_0 expands len(dst) values (a multiple of 32) from src.
func dequantizeQ8_0(dst []float32, src []byte) {
	nb := len(dst) / q8Block
	for i := 0; i < nb; i++ {
		blk := src[i*q8BlockSize : (i+1)*q8BlockSize]
		d := F16ToF32(binary.LittleEndian.Uint16(blk))
		out := dst[i*q8Block : (i+1)*q8Block]
		for j := range out {
			out[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// dotQ8_0Plain is ggml's scalar ggml_vec_dot_q8_0_q8_0: for each block the
// integer dot of the quants, scaled by both block scales, summed in float32.
func dotQ8_0Plain(x, y []byte, nb int) float32 {
	var sum float32
	for i := 0; i < nb; i++ {
		// Fixed-size views let the compiler drop the bounds checks.
		bx := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		by := (*[q8BlockSize]byte)(y[i*q8BlockSize:])
		var sumi int32
		for j := 2; j < q8BlockSize; j++ {
			sumi += int32(int8(bx[j])) * int32(int8(by[j]))
		}
		dx := F16ToF32(uint16(bx[0]) | uint16(bx[1])<<8)
		dy := F16ToF32(uint16(by[0]) | uint16(by[1])<<8)
		sum += float32(sumi) * float32(dx*dy)
	}
	return sum
}
