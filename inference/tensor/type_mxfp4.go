package tensor

import (
	"math"

	"burrow/inference/gguf"
)

// MXFP4 (OCP microscaling FP4, gpt-oss's experts): blocks of 32 values, one
// E8M0 exponent byte and 16 bytes of 4-bit E2M1 codes (low nibbles the
// first 16 values, high nibbles the last 16). Weights multiply the input
// in Q8_0, as llama.cpp's CPU code does. The AVX2 twin is type_mxfp4_amd64.s.

func init() {
	register(weightType{
		typ:        gguf.TypeMXFP4,
		dequantize: dequantizeMXFP4,
		quantize:   quantizeMXFP4,
		form:       formQ8_0,
		plain:      rowKernels{dot: dotMXFP4Plain},
	})
}

const mxfp4BlockSize = 17

// mxfp4Values are the E2M1 values doubled (ggml's kvalues_mxfp4), so the
// block scale is half the exponent's power of two.
var mxfp4Values = [16]int8{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12}

// e8m0Half is 2^(e-127) / 2 (ggml's GGML_E8M0_TO_FP32_HALF), subnormal for
// the two smallest exponents.
func e8m0Half(e uint8) float32 {
	if e < 2 {
		return math.Float32frombits(0x00200000 << e)
	}
	return math.Float32frombits(uint32(e-1) << 23)
}

func dequantizeMXFP4(dst []float32, src []byte) {
	for i := 0; i < len(dst)/32; i++ {
		b := (*[mxfp4BlockSize]byte)(src[i*mxfp4BlockSize:])
		d := e8m0Half(b[0])
		out := dst[i*32 : (i+1)*32]
		for j := 0; j < 16; j++ {
			out[j] = float32(mxfp4Values[b[1+j]&0xf]) * d
			out[j+16] = float32(mxfp4Values[b[1+j]>>4]) * d
		}
	}
}

// quantizeMXFP4 is ggml's quantize_row_mxfp4_ref: the exponent from the
// block's largest magnitude, then each value's nearest code.
func quantizeMXFP4(dst []byte, x []float32) {
	for i := 0; i < len(x)/32; i++ {
		xb := x[i*32 : (i+1)*32]
		var amax float32
		for _, v := range xb {
			amax = max(amax, abs32(v))
		}
		var e uint8
		if amax > 0 {
			e = uint8(int(math.Floor(math.Log2(float64(amax)))) - 2 + 127)
		}
		d := e8m0Half(e)
		b := dst[i*mxfp4BlockSize : (i+1)*mxfp4BlockSize]
		b[0] = e
		for j := 0; j < 16; j++ {
			b[1+j] = mxfp4Nearest(xb[j], d) | mxfp4Nearest(xb[j+16], d)<<4
		}
	}
}

// mxfp4Nearest is ggml's best_index_mxfp4: the first code with the least
// error.
func mxfp4Nearest(x, d float32) byte {
	best, bestErr := 0, abs32(float32(float32(mxfp4Values[0])*d)-x)
	for i := 1; i < 16; i++ {
		if err := abs32(float32(float32(mxfp4Values[i])*d) - x); err < bestErr {
			best, bestErr = i, err
		}
	}
	return byte(best)
}

// dotMXFP4Plain is ggml's ggml_vec_dot_mxfp4_q8_0 (generic order): per
// block the integer dot of codes and quants, times both scales.
func dotMXFP4Plain(w, x []byte, nb int) float32 {
	var sum float32
	for i := 0; i < nb; i++ {
		b := (*[mxfp4BlockSize]byte)(w[i*mxfp4BlockSize:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		d := F16ToF32(uint16(y[0])|uint16(y[1])<<8) * e8m0Half(b[0])
		var s1, s2 int32
		for j := 0; j < 16; j++ {
			s1 += int32(int8(y[2+j])) * int32(mxfp4Values[b[1+j]&0xf])
			s2 += int32(int8(y[2+j+16])) * int32(mxfp4Values[b[1+j]>>4])
		}
		sum += float32(d * float32(s1+s2)) // conversion: no FMA fusion on arm64 (x86 order)
	}
	return sum
}
