package tensor

import "testing"

// BenchmarkPoolRun is the fixed cost of one dispatch (a decode step makes
// about five per layer).
func BenchmarkPoolRun(b *testing.B) {
	p := NewPool(2)
	defer p.Close()
	var sink [64]int
	fn := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sink[i]++
		}
	}
	for i := 0; i < b.N; i++ {
		p.Run(64, fn)
	}
}
