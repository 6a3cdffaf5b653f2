package tensor

//go:noescape
func dotQ2_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ2_Kx4Fast dots one Q2_K weight row with the four Q8_K rows stride
// bytes apart at x (a prompt batch): out[r] == dotQ2_KPlain(w, row r, nb),
// each weight superblock decoded once for the four.
func dotQ2_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, q2KBlockSize, q8KBlockSize); wp != nil {
		dotQ2_Kx4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
