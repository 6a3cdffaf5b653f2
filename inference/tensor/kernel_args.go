package tensor

// The length checks of the assembly dots' Go wrappers. The assembly reads
// whole blocks and checks nothing, so each wrapper first proves, with Go's
// bounds checks, that the slices hold every byte the kernel will read, then
// passes raw pointers. The helpers are small enough to inline: a wrapper
// calls its own //go:noescape routine directly (calling it through a
// function value would move the wrapper's out array to the heap). The
// repacked gemv/gemm checks report a bool and leave the pointers to the
// caller: returning four would not fit the inliner's budget.

// dotArgs checks that w holds nb weight blocks of wsize bytes and x nb input
// blocks of xsize bytes, and returns their first bytes; nil, nil when
// nb <= 0, where there is nothing to read (the wrapper returns zero).
func dotArgs(w, x []byte, nb, wsize, xsize int) (wp, xp *byte) {
	if nb <= 0 {
		return nil, nil
	}
	_, _ = w[nb*wsize-1], x[nb*xsize-1]
	return &w[0], &x[0]
}

// dot4Args is dotArgs for a four-row tile: x holds four input rows stride
// bytes apart, which must not overlap.
func dot4Args(w, x []byte, stride, nb, wsize, xsize int) (wp, xp *byte) {
	if nb <= 0 {
		return nil, nil
	}
	if stride < nb*xsize {
		panic("tensor: a four-row dot's input rows overlap")
	}
	_, _ = w[nb*wsize-1], x[3*stride+nb*xsize-1]
	return &w[0], &x[0]
}

// checkQ4Kx8Gemv checks the slices an assembly repacked Q4_K gemv reads and
// writes; it reports false (the zero results written) when there is
// nothing to sum.
func checkQ4Kx8Gemv(w, x []byte, nb int, out []float32) bool {
	if nb <= 0 {
		clear(out[:8])
		return false
	}
	_, _, _ = w[nb*q4Kx8Bytes-1], x[nb*q8KBlockSize-1], out[7]
	return true
}

// checkQ4Kx8Gemm4 is checkQ4Kx8Gemv for the four-row gemm.
func checkQ4Kx8Gemm4(w, x []byte, stride, nb int, out []float32, ostride int) bool {
	if nb <= 0 {
		for t := 0; t < 4; t++ {
			clear(out[t*ostride : t*ostride+8])
		}
		return false
	}
	if stride < nb*q8KBlockSize || ostride < 8 {
		panic("tensor: repacked Q4_K gemm rows overlap")
	}
	_, _, _ = w[nb*q4Kx8Bytes-1], x[3*stride+nb*q8KBlockSize-1], out[3*ostride+7]
	return true
}

// checkQ4_0x8Gemv checks the slices an assembly repacked Q4_0 or IQ4_NL
// gemv reads and writes (see q4_0x8Kernels): nb blocks of eight rows in w,
// nb Q8_0 blocks in x, srows rows of side values ss apart in s (the scales;
// Q4_0's kernel also reads the sums after them) and the eight results. It
// reports false (the zero results written) when there is nothing to sum.
func checkQ4_0x8Gemv(w, x []byte, s []float32, ss, nb, srows int, out []float32) bool {
	if nb <= 0 {
		clear(out[:8])
		return false
	}
	_, _, _, _ = w[nb*q4_0x8Bytes-1], x[nb*q8BlockSize-1], s[(srows-1)*ss], out[7]
	return true
}

// checkQ4_0x8Gemm4 is checkQ4_0x8Gemv for the four-input-row gemm: input
// rows stride bytes apart, the side values of four rows, results ostride
// apart, none of them overlapping.
func checkQ4_0x8Gemm4(w, x []byte, stride int, s []float32, ss, nb, srows int, out []float32, ostride int) bool {
	if nb <= 0 {
		for t := range 4 {
			clear(out[t*ostride : t*ostride+8])
		}
		return false
	}
	if stride < nb*q8BlockSize || ostride < 8 || ss < 4 {
		panic("tensor: repacked Q4_0/IQ4_NL gemm rows overlap")
	}
	_, _, _, _ = w[nb*q4_0x8Bytes-1], x[3*stride+nb*q8BlockSize-1], s[(srows-1)*ss+3], out[3*ostride+7]
	return true
}
