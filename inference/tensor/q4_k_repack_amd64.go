package tensor

//go:noescape
func gemvQ4_Kx8AVX2(w, x *byte, nb int, out *float32)

//go:noescape
func gemm4Q4_Kx8AVX2(w, x *byte, stride, nb int, out *float32, ostride int)

// q4Kx8Fast is the AVX2 set's repacked Q4_K kernels.
var q4Kx8Fast = &q4Kx8Kernels{gemv: gemvQ4_Kx8Fast, gemm4: gemm4Q4_Kx8Fast}

// gemvQ4_Kx8Fast is gemvQ4_Kx8Plain (gemv order) in assembly.
func gemvQ4_Kx8Fast(w, x []byte, nb int, out []float32) {
	if nb <= 0 {
		clear(out[:8])
		return
	}
	_, _, _ = w[nb*q4Kx8Bytes-1], x[nb*q8KBlockSize-1], out[7]
	gemvQ4_Kx8AVX2(&w[0], &x[0], nb, &out[0])
}

// gemm4Q4_Kx8Fast is four gemvQ4_Kx8Plain in gemm order, each weight load
// serving the four input rows.
func gemm4Q4_Kx8Fast(w, x []byte, stride, nb int, out []float32, ostride int) {
	if nb <= 0 {
		for t := 0; t < 4; t++ {
			clear(out[t*ostride : t*ostride+8])
		}
		return
	}
	if stride < nb*q8KBlockSize || ostride < 8 {
		panic("tensor: gemm4Q4_Kx8Fast rows overlap")
	}
	_, _, _ = w[nb*q4Kx8Bytes-1], x[3*stride+nb*q8KBlockSize-1], out[3*ostride+7]
	gemm4Q4_Kx8AVX2(&w[0], &x[0], stride, nb, &out[0], ostride)
}
