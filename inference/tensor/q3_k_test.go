package tensor

import "testing"

var q3KType = kq23Type{name: "Q3_K", size: q3KBlockSize, dequantize: dequantizeQ3_K, quantize: quantizeQ3_K,
	plain: dotQ3_KPlain, fast: dotQ3_KFast, x4: dotQ3_Kx4Fast, scaleOffs: []int{108}}

func TestQ3_KFastMatchesPlain(t *testing.T)  { testKQ23FastMatchesPlain(t, q3KType) }
func TestQ3_KDotMatchesDequant(t *testing.T) { testKQ23DotMatchesDequant(t, q3KType) }
func TestQ3_KRoundTrip(t *testing.T)         { testKQ23RoundTrip(t, q3KType, 0.25) }
func FuzzQ3_KDot(f *testing.F)               { fuzzKQ23(f, q3KType) }
func TestQ3_Kx4MatchesPlain(t *testing.T)    { testKQ23X4(t, q3KType) }
