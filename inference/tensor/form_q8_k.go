package tensor

// formQ8_K is the input in Q8_K superblocks (quantizeQ8_KAct), the partner
// of the K-quant and IQ4_XS weights (llama.cpp's vec_dot_type for them).
var formQ8_K = registerForm(formDesc{name: "Q8_K", rowBytes: func(c int) int { return c / qkK * q8KBlockSize },
	convert: quantizeQ8_KAct, toF32: dequantizeQ8_KRow})

// dequantizeQ8_KRow expands a Q8_K row: d * q per superblock.
func dequantizeQ8_KRow(dst []float32, row []byte) {
	for i := 0; i < len(dst)/qkK; i++ {
		d, qs, _ := q8KParts(row, i)
		for j := 0; j < qkK; j++ {
			dst[i*qkK+j] = d * float32(int8(qs[j]))
		}
	}
}
