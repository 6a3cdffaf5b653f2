package tensor

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKQDot times one 4096-wide row (16 superblocks) per type, plain
// and fast; ns/op / 16 is the cost of one superblock.
func BenchmarkKQDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const nb = 16
	for _, typ := range []kq23Type{q2KType, q3KType, iq4XSType} {
		w, x := randKQ23(r, typ, nb, 0), randQ8K(r, nb, false)
		for _, k := range []struct {
			name string
			f    func(w, x []byte, nb int) float32
		}{{"plain", typ.plain}, {"fast", typ.fast}} {
			b.Run(typ.name+"/"+k.name, func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += k.f(w, x, nb)
				}
				_ = s
			})
		}
	}
}

// BenchmarkKQDotX4 times the four-row tiles on a 16-superblock row: ns/op
// covers four dots.
func BenchmarkKQDotX4(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 16
	for _, typ := range []kq23Type{q2KType, q3KType, iq4XSType} {
		if typ.x4 == nil {
			continue
		}
		w := randKQ23(r, typ, nb, 0)
		x := randQ8K(r, 4*nb, false)
		b.Run(typ.name, func(b *testing.B) {
			var s float32
			for b.Loop() {
				o := typ.x4(w, x, nb*q8KBlockSize, nb)
				s += o[0]
			}
			_ = s
		})
	}
}
