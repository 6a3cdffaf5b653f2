package tensor

import (
	"encoding/binary"
	"testing"

	"burrow/inference/gguf"
)

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeQ5_1, bs: q5_1BlockSize, actBS: q8_1BlockSize, act: quantizeQ8_1Act,
		dequantize: dequantizeQ5_1, quantize: quantizeQ5_1, plain: dotQ5_1Plain,
		roundTrip: func(x []float32) float64 { return lqMinRoundTrip(x, 31) },
		minTerm:   true,
	})
}

// TestQ5_1Layout: a hand-made block (high bits in qh, bit j for value j)
// dequantizes to d*q + m.
func TestQ5_1Layout(t *testing.T) {
	b := make([]byte, q5_1BlockSize)
	lqPutF16(b[0:], 0.25)
	lqPutF16(b[2:], 1)
	var want [lqBlock]int
	var qh uint32
	for j := 0; j < lqBlock; j++ {
		want[j] = (j * 7) % 32
	}
	for j := 0; j < 16; j++ {
		b[8+j] = uint8(want[j]&0xF) | uint8(want[j+16]&0xF)<<4
	}
	for j := 0; j < lqBlock; j++ {
		qh |= uint32(want[j]>>4&1) << j
	}
	binary.LittleEndian.PutUint32(b[4:], qh)
	y := make([]float32, lqBlock)
	dequantizeQ5_1(y, b)
	for j := range y {
		if y[j] != float32(want[j])*0.25+1 {
			t.Fatalf("value %d: %g, want %g", j, y[j], float32(want[j])*0.25+1)
		}
	}
}
