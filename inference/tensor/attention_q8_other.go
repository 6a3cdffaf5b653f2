//go:build !amd64

package tensor

// madQ8Fast has no assembly on this architecture yet.
func madQ8Fast(acc []float32, v []byte, stride int, ms, vs []float32) {
	madQ8Plain(acc, v, stride, ms, vs)
}
