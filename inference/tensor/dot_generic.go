//go:build !amd64

package tensor

// No assembly kernels on this architecture yet: the plain Go twins run.
const haveAVX2 = false

func useFast() {}

// expSubAsm has no assembly here; vectorExp stays false so it is not called.
func expSubAsm(x []float32, m float32) { expSubPlain(x, m) }
