package tensor

//go:noescape
func dotQ4_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ4_Kx4Fast dots weight row w (nb Q4_K superblocks) with the four Q8_K
// rows at x, x+stride, x+2*stride, x+3*stride (stride in bytes), loading
// each weight superblock once; out[r] == dotQ4_KPlain(w, row r, nb).
func dotQ4_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if nb <= 0 {
		return out
	}
	if stride < nb*q8KBlockSize {
		panic("tensor: dotQ4_Kx4Fast rows overlap")
	}
	_, _ = w[nb*q4KBlockSize-1], x[3*stride+nb*q8KBlockSize-1]
	dotQ4_Kx4AVX2(&w[0], &x[0], stride, nb, &out)
	return out
}
