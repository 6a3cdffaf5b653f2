package tensor

import "math"

// Helpers of the Q2_K, Q3_K and IQ4_XS kernels (the others they use, such
// as fmaExact32 and hsumFloat8, are in kquant.go). Their plain twins model
// llama.cpp's AVX2 code lane by lane so that the assembly can be held to
// them bit for bit.

// q8KParts views Q8_K superblock i of y: its scale, quants and group sums.
func q8KParts(y []byte, i int) (d float32, qs *[qkK]byte, bsums *[32]byte) {
	blk := (*[q8KBlockSize]byte)(y[i*q8KBlockSize:])
	d = math.Float32frombits(uint32(blk[0]) | uint32(blk[1])<<8 | uint32(blk[2])<<16 | uint32(blk[3])<<24)
	return d, (*[qkK]byte)(blk[4:]), (*[32]byte)(blk[4+qkK:])
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
