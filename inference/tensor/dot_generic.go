//go:build !amd64

package tensor

// No assembly kernels on this architecture yet: the plain Go twins run.
const haveAVX2 = false

func useFast() {}
