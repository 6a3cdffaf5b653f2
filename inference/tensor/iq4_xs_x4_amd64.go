package tensor

//go:noescape
func dotIQ4_XSx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotIQ4_XSx4Fast dots one IQ4_XS weight row with the four Q8_K rows
// stride bytes apart at x (a prompt batch): out[r] == dotIQ4_XSPlain(w,
// row r, nb), each weight block decoded once for the four.
func dotIQ4_XSx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if nb <= 0 {
		return out
	}
	if stride < nb*q8KBlockSize {
		panic("tensor: dotIQ4_XSx4Fast rows overlap")
	}
	_, _ = w[nb*iq4XSBlockSize-1], x[3*stride+nb*q8KBlockSize-1]
	dotIQ4_XSx4AVX2(&w[0], &x[0], stride, nb, &out)
	return out
}
