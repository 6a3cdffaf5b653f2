package tensor

import (
	"encoding/binary"
	"math"
	"testing"

	"burrow/inference/gguf"
)

// FuzzDotF16 holds every assembly set's F16 kernels (the F16-input row dot
// and the float32-input batch dot) to their plain twins bit for bit.
func FuzzDotF16(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4})
	f.Add(make([]byte, 4*200))
	seed := make([]byte, 4*(64*3+17))
	for i := range seed {
		seed[i] = byte(i*131 + i/7)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		x, y := make([]uint16, n), make([]uint16, n)
		yf := make([]float32, n)
		for i := 0; i < n; i++ {
			x[i] = binary.LittleEndian.Uint16(data[4*i:])
			y[i] = binary.LittleEndian.Uint16(data[4*i+2:])
			// Finite values only: NaN payloads and inf-inf differ by design.
			if x[i]&0x7c00 == 0x7c00 {
				x[i] &^= 0x4000
			}
			if y[i]&0x7c00 == 0x7c00 {
				y[i] &^= 0x4000
			}
			yf[i] = F16ToF32(y[i]) * 0.37
		}
		want, wantF := dotF16GGML512Plain(x, y), dotF16F32L16Plain(x, yf)
		for _, s := range fastSets() {
			k := f16PlainKernels
			for b := s; b != nil; b = b.base { // a set without its own F16 uses its base's
				if e, ok := b.rows[gguf.TypeF16].ext.(*f16Kernels); ok {
					k = e
					break
				}
			}
			if got := k.dot(x, y); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("n=%d: %s F16 dot %v, plain %v", n, s.name, got, want)
			}
			if got := k.dotF32(x, yf); math.Float32bits(got) != math.Float32bits(wantF) && !(got != got && wantF != wantF) {
				t.Fatalf("n=%d: %s F16xF32 dot %v, plain %v", n, s.name, got, wantF)
			}
		}
	})
}
