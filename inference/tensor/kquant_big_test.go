package tensor

import (
	"math"
	"math/big"
)

// fmaBig is a*b+c rounded once to float32, by exact big.Float arithmetic.
func fmaBig(a, b, c float32) float32 {
	fa, fb, fc := float64(a), float64(b), float64(c)
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) || math.IsInf(fc, 0) || fa != fa || fb != fb || fc != fc {
		return float32(fa*fb + fc)
	}
	x := new(big.Float).SetPrec(0).SetFloat64(fa)
	x.SetPrec(200).Mul(x, big.NewFloat(fb).SetPrec(200))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(fc))
	f, _ := x.Float32()
	if f == 0 && (fa*fb+fc == 0) { // signed zero as IEEE gives it
		return float32(fa*fb + fc)
	}
	return f
}
