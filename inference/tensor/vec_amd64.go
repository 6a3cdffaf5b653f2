package tensor

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

//go:noescape
func reduceLanesAVX2(out, lanes *float32, hd int)

//go:noescape
func reduceF16x64AVX2(out, lanes *float32, hd int)

//go:noescape
func reduce16GroupsAVX2(dst, x *float32, ngroups int)

//go:noescape
func f32ToF16AVX2(dst *uint16, src *float32, n int)

// The wrappers take lengths the kernels accept (multiples of 8; maxAsm at
// least 8) and check the bounds the assembly does not.

func maxAsm(x []float32) float32 { return maxAVX2(&x[0], len(x)) }

func scaleAsm(x []float32, s float32) {
	if len(x) > 0 {
		scaleAVX2(&x[0], len(x), s)
	}
}

func reduceLanesAsm(out, lanes []float32) {
	if len(out) > 0 {
		_ = lanes[16*len(out)-1]
		reduceLanesAVX2(&out[0], &lanes[0], len(out))
	}
}

func reduceF16x64Asm(out, lanes []float32) {
	if len(out) > 0 {
		_ = lanes[64*len(out)-1]
		reduceF16x64AVX2(&out[0], &lanes[0], len(out))
	}
}

func f32ToF16Asm(dst []uint16, src []float32) {
	if len(src) > 0 {
		_ = dst[len(src)-1]
		f32ToF16AVX2(&dst[0], &src[0], len(src))
	}
}

func reduce16GroupsAsm(dst, x []float32) {
	if len(dst) > 0 {
		_ = x[16*len(dst)-1]
		reduce16GroupsAVX2(&dst[0], &x[0], len(dst))
	}
}
