package tensor

// formQ8_K is the input in Q8_K superblocks (quantizeQ8_KAct, llama.cpp's
// x86 quantize_row_q8_K), the form the K-quants and IQ4_XS multiply with.
var formQ8_K = registerForm(formDesc{name: "Q8_K",
	rowBytes: func(c int) int { return c / qkK * q8KBlockSize },
	convert:  quantizeQ8_KAct,
	toF32:    dequantizeQ8_KRow})

// dequantizeQ8_KRow expands a Q8_K row to d*q.
func dequantizeQ8_KRow(dst []float32, row []byte) {
	for i := 0; i < len(row)/q8KBlockSize; i++ {
		b := row[i*q8KBlockSize:]
		d := f32At(b)
		for j := 0; j < qkK && i*qkK+j < len(dst); j++ {
			dst[i*qkK+j] = d * float32(int8(b[4+j]))
		}
	}
}
