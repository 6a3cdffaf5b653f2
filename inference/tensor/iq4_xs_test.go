package tensor

import "testing"

var iq4XSType = kqType{name: "IQ4_XS", size: iq4XSBlockSize, dequantize: dequantizeIQ4_XS, quantize: quantizeIQ4_XS,
	plain: dotIQ4_XSPlain, fast: dotIQ4_XSFast, scaleOffs: []int{0}}

func TestIQ4_XSFastMatchesPlain(t *testing.T)  { testKQFastMatchesPlain(t, iq4XSType) }
func TestIQ4_XSDotMatchesDequant(t *testing.T) { testKQDotMatchesDequant(t, iq4XSType) }
func TestIQ4_XSRoundTrip(t *testing.T)         { testKQRoundTrip(t, iq4XSType, 0.12) }
func FuzzIQ4_XSDot(f *testing.F)               { fuzzKQ(f, iq4XSType) }
