package tensor

import (
	"encoding/binary"
	"math"
)

// Q8_K layout (ggml block_q8_K), the form activations take to meet K-quant
// weights: per superblock of 256 values a float32 scale d, 256 int8 quants
// and 16 int16 sums of consecutive 16-quant groups (bsums), which let a dot
// product apply the weights' per-group minimums without touching the quants.
const (
	qkK          = 256
	q8KBlockSize = 4 + qkK + 2*qkK/16 // 292
)

// quantizeQ8_KAct quantizes x (length a multiple of 256) into dst, which
// must hold len(x)/256*292 bytes. llama.cpp on x86 uses the reference
// quantize_row_q8_K_ref here (no SIMD version): the scale comes from the
// value of largest magnitude, signed so that value maps to -127, and every
// quant is rounded half to even by nearest_int's 1.5*2^23 trick. An all-zero
// block gets d = 0 and zero sums (ggml leaves the sums unwritten; zero is
// what a dot product must see).
func quantizeQ8_KAct(dst []byte, x []float32) {
	nb := len(x) / qkK
	if nb == 0 {
		return
	}
	_ = dst[nb*q8KBlockSize-1]
	for i := 0; i < nb; i++ {
		xb := (*[qkK]float32)(x[i*qkK:])
		blk := (*[q8KBlockSize]byte)(dst[i*q8KBlockSize:])
		amax, max := absMax(xb[:])
		if amax == 0 {
			clear(blk[:])
			continue
		}
		iscale := -127 / max
		qs := blk[4 : 4+qkK]
		for j, v := range xb {
			q := nearestInt(float32(iscale * v)) // conversion: no FMA fusion
			if q > 127 {
				q = 127
			}
			qs[j] = byte(int8(q))
		}
		for g := 0; g < qkK/16; g++ {
			var sum int32
			for _, q := range qs[g*16 : g*16+16] {
				sum += int32(int8(q))
			}
			binary.LittleEndian.PutUint16(blk[4+qkK+2*g:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(blk[:], math.Float32bits(1/iscale))
	}
}

// nearestInt is ggml's nearest_int: adding 1.5*2^23 leaves the rounded
// integer (half to even) in the low mantissa bits. Valid for |f| < 2^22,
// which every caller guarantees; NaN comes out as 0, as in C.
func nearestInt(f float32) int32 {
	// The conversion keeps arm64 from fusing a caller's product into this
	// add once inlined: the rounding of f decides the integer.
	v := float32(f) + 12582912
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}
