package tensor

//go:noescape
func dotQ2_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ2_Kx4Fast dots one Q2_K weight row with the four Q8_K rows stride
// bytes apart at x (a prompt batch): out[r] == dotQ2_KPlain(w, row r, nb),
// each weight superblock decoded once for the four.
func dotQ2_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if nb <= 0 {
		return out
	}
	if stride < nb*q8KBlockSize {
		panic("tensor: dotQ2_Kx4Fast rows overlap")
	}
	_, _ = w[nb*q2KBlockSize-1], x[3*stride+nb*q8KBlockSize-1]
	dotQ2_Kx4AVX2(&w[0], &x[0], stride, nb, &out)
	return out
}
