package tensor

import "testing"

var q2KType = kq23Type{name: "Q2_K", size: q2KBlockSize, dequantize: dequantizeQ2_K, quantize: quantizeQ2_K,
	plain: dotQ2_KPlain, fast: dotQ2_KFast, x4: dotQ2_Kx4Fast, scaleOffs: []int{80, 82}}

func TestQ2_KFastMatchesPlain(t *testing.T)  { testKQ23FastMatchesPlain(t, q2KType) }
func TestQ2_KDotMatchesDequant(t *testing.T) { testKQ23DotMatchesDequant(t, q2KType) }
func TestQ2_KRoundTrip(t *testing.T)         { testKQ23RoundTrip(t, q2KType, 0.45) }
func FuzzQ2_KDot(f *testing.F)               { fuzzKQ23(f, q2KType) }
func TestQ2_Kx4MatchesPlain(t *testing.T)    { testKQ23X4(t, q2KType) }
