package tensor

//go:noescape
func dotQ4_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ4_Kx4Fast dots weight row w (nb Q4_K superblocks) with the four Q8_K
// rows at x, x+stride, x+2*stride, x+3*stride (stride in bytes), loading
// each weight superblock once; out[r] == dotQ4_KPlain(w, row r, nb).
func dotQ4_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, q4KBlockSize, q8KBlockSize); wp != nil {
		dotQ4_Kx4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
