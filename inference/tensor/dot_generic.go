//go:build !amd64 && !arm64

package tensor

// No assembly kernels on this architecture yet: the plain set runs.
const haveAVX2 = false

func useFast() {}

// expSubAsm has no assembly here; vectorExp stays false so it is not called.
func expSubAsm(x []float32, m float32) { expSubPlain(x, m) }

// The F16 attention kernels have no assembly here; f16AttFast stays false.
func scoresF16Fast(out []float32, k []uint16, stride int, q []uint16, scale float32) {
	scoresF16Plain(out, k, stride, q, scale)
}

func madF16Fast(acc []float32, v []uint16, stride int, ms, vs []float32) {
	madF16Plain(acc, v, stride, ms, vs)
}
