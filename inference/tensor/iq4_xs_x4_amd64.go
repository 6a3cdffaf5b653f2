package tensor

//go:noescape
func dotIQ4_XSx4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotIQ4_XSx4Fast dots one IQ4_XS weight row with the four Q8_K rows
// stride bytes apart at x (a prompt batch): out[r] == dotIQ4_XSPlain(w,
// row r, nb), each weight block decoded once for the four.
func dotIQ4_XSx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, iq4XSBlockSize, q8KBlockSize); wp != nil {
		dotIQ4_XSx4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
