package tensor

import "math"

// Q8_1 is the activation partner of Q4_1 and Q5_1 on x86 (their
// vec_dot_type): per 32 values an F16 scale d, an F16 s = d*sum(q), then 32
// int8 quants.
const q8_1BlockSize = 36

// formQ8_1 is the input in Q8_1 blocks, quantized as llama.cpp's x86
// quantize_row_q8_1 does.
var formQ8_1 = registerForm(formDesc{name: "Q8_1",
	rowBytes: func(c int) int { return c / lqBlock * q8_1BlockSize },
	convert:  quantizeQ8_1Act,
	toF32:    dequantizeQ8_1Row})

// quantizeQ8_1Act is llama.cpp's AVX2 quantize_row_q8_1: d = max|x|/127,
// q = x*(127/max|x|) rounded half to even, s = d (unrounded) times the sum
// of the quants, both scales stored as F16.
func quantizeQ8_1Act(dst []byte, x []float32) {
	nb := len(x) / lqBlock
	_ = dst[nb*q8_1BlockSize-1]
	for i := 0; i < nb; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		blk := (*[q8_1BlockSize]byte)(dst[i*q8_1BlockSize:])
		d, id := q8ActScales(xb[:])
		var sum int32
		for j, v := range xb {
			q := int32(math.RoundToEven(float64(v * id)))
			sum += q
			blk[4+j] = byte(int8(q))
		}
		lqPutF16(blk[0:], d)
		lqPutF16(blk[2:], d*float32(sum))
	}
}

// dequantizeQ8_1Row expands a Q8_1 row (for reference tests).
func dequantizeQ8_1Row(dst []float32, row []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		blk := row[i*q8_1BlockSize:]
		d := lqF16(blk)
		for j := 0; j < lqBlock; j++ {
			dst[i*lqBlock+j] = float32(int8(blk[4+j])) * d
		}
	}
}
