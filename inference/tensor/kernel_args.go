package tensor

// The length checks of the assembly dots' Go wrappers. The assembly reads
// whole blocks and checks nothing, so each wrapper first proves, with Go's
// bounds checks, that the slices hold every byte the kernel will read, then
// passes raw pointers. The helpers are small enough to inline: a wrapper
// calls its own //go:noescape routine directly (calling it through a
// function value would move the wrapper's out array to the heap).

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
