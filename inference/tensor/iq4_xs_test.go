package tensor

import "testing"

var iq4XSType = kq23Type{name: "IQ4_XS", size: iq4XSBlockSize, dequantize: dequantizeIQ4_XS, quantize: quantizeIQ4_XS,
	plain: dotIQ4_XSPlain, fast: dotIQ4_XSFast, x4: dotIQ4_XSx4Fast, scaleOffs: []int{0}}

func TestIQ4_XSFastMatchesPlain(t *testing.T)  { testKQ23FastMatchesPlain(t, iq4XSType) }
func TestIQ4_XSDotMatchesDequant(t *testing.T) { testKQ23DotMatchesDequant(t, iq4XSType) }
func TestIQ4_XSRoundTrip(t *testing.T)         { testKQ23RoundTrip(t, iq4XSType, 0.12) }
func FuzzIQ4_XSDot(f *testing.F)               { fuzzKQ23(f, iq4XSType) }
func TestIQ4_XSx4MatchesPlain(t *testing.T)    { testKQ23X4(t, iq4XSType) }
