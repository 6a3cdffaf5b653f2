//go:build !amd64

package tensor

// wsumF16x64Fast has no assembly on this architecture yet.
func wsumF16x64Fast(lanes []float32, v []uint16, stride int, w []uint16) {
	wsumF16x64Plain(lanes, v, stride, w)
}
