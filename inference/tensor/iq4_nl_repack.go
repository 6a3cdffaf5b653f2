package tensor

// IQ4_NL weights repacked as Q4_0's (q4_0_repack.go): the same 18-byte
// blocks, so the same 8-row layout, with the nibbles indexing kvaluesIQ4NL
// (llama.cpp's block_iq4_nlx8, ggml_gemv/gemm_iq4_nl_8x8_q8_0); per block
// and row the exact integer sum of value*y, then acc = fma(sum, d_w*d_x,
// acc), dotIQ4_NLSeqPlain's order.

// rowF32IQ4_NLx8 dequantizes row r of a repacked matrix.
func rowF32IQ4_NLx8(dst []float32, m *Matrix, r int) {
	g := m.Data[(r&^7)*m.RowBytes:]
	var b [iq4NLBlockSize]byte
	for i := 0; i < m.Cols/lqBlock; i++ {
		unpackQ4_0x8(&b, (*[q4_0x8Bytes]byte)(g[i*q4_0x8Bytes:]), r&7)
		dequantizeIQ4_NL(dst[i*lqBlock:(i+1)*lqBlock], b[:])
	}
}

// gemvIQ4_NLx8Plain dots eight repacked rows w (nb blocks) with one Q8_0
// row x into out[:8], each as dotIQ4_NLSeqPlain; the Go model of the
// assembly.
func gemvIQ4_NLx8Plain(w, x []byte, nb int, out []float32) {
	out = out[:8]
	var acc [8]float32
	for i := 0; i < nb; i++ {
		o := (*[q4_0x8Bytes]byte)(w[i*q4_0x8Bytes:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		dy := lqF16(y[0:])
		for j := 0; j < 8; j++ {
			var sum int32
			for k := 0; k < 4; k++ {
				for l, v := range o[16+32*k+4*j:][:4] {
					sum += int32(kvaluesIQ4NL[v&15])*int32(int8(y[2+4*k+l])) + int32(kvaluesIQ4NL[v>>4])*int32(int8(y[18+4*k+l]))
				}
			}
			acc[j] = lqFMA(float32(sum), lqF16(o[2*j:])*dy, acc[j])
		}
	}
	copy(out, acc[:])
}

var iq4NLx8Plain = x8PlainKernels(gemvIQ4_NLx8Plain)
