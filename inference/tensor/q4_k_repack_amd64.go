package tensor

//go:noescape
func gemvQ4_Kx8AVX2(w, x *byte, nb int, out *float32)

//go:noescape
func gemm4Q4_Kx8AVX2(w, x *byte, stride, nb int, out *float32, ostride int)

//go:noescape
func gemvQ4_Kx8VNNI(w, x *byte, nb int, out *float32)

//go:noescape
func gemm4Q4_Kx8VNNI(w, x *byte, stride, nb int, out *float32, ostride int)

// q4Kx8Fast and q4Kx8VNNI are the AVX2 and VNNI sets' repacked Q4_K
// kernels (the same results).
var (
	q4Kx8Fast = &q4Kx8Kernels{gemv: gemvQ4_Kx8Fast, gemm4: gemm4Q4_Kx8Fast}
	q4Kx8VNNI = &q4Kx8Kernels{
		gemv: func(w, x []byte, nb int, out []float32) {
			if checkQ4Kx8Gemv(w, x, nb, out) {
				gemvQ4_Kx8VNNI(&w[0], &x[0], nb, &out[0])
			}
		},
		gemm4: func(w, x []byte, stride, nb int, out []float32, ostride int) {
			if checkQ4Kx8Gemm4(w, x, stride, nb, out, ostride) {
				gemm4Q4_Kx8VNNI(&w[0], &x[0], stride, nb, &out[0], ostride)
			}
		},
	}
)

// gemvQ4_Kx8Fast is gemvQ4_Kx8Plain (gemv order) in assembly.
func gemvQ4_Kx8Fast(w, x []byte, nb int, out []float32) {
	if checkQ4Kx8Gemv(w, x, nb, out) {
		gemvQ4_Kx8AVX2(&w[0], &x[0], nb, &out[0])
	}
}

// gemm4Q4_Kx8Fast is four gemvQ4_Kx8Plain in gemm order, each weight load
// serving the four input rows.
func gemm4Q4_Kx8Fast(w, x []byte, stride, nb int, out []float32, ostride int) {
	if checkQ4Kx8Gemm4(w, x, stride, nb, out, ostride) {
		gemm4Q4_Kx8AVX2(&w[0], &x[0], stride, nb, &out[0], ostride)
	}
}
