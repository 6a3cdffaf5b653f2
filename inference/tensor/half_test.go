package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// f16Ref decodes a half from its definition, in float64.
func f16Ref(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	case 0:
		return sign * m * math.Pow(2, -24)
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

func TestF16ToF32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, want := F16ToF32(h), f16Ref(h)
		if calc := f16ToF32Calc(h); math.Float32bits(calc) != math.Float32bits(got) {
			t.Fatalf("table and calculation differ at %#04x: %v, %v", h, got, calc)
		}
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

// TestF32ToF16RoundTrip: every half survives widening and narrowing.
func TestF32ToF16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := F32ToF16(F16ToF32(h))
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 { // NaN stays a NaN
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x narrowed to %#04x", h, got)
			}
			continue
		}
		if got != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, got)
		}
	}
}

// f32ToF16Ref rounds by searching for the nearest half in float64, ties to even.
func f32ToF16Ref(f float32) uint16 {
	x := float64(f)
	sign := uint16(0)
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	const maxHalf = 65504.0
	// Values at or above the midpoint between the largest half and 2^16 overflow.
	if x >= maxHalf+16 {
		return sign | 0x7c00
	}
	// Binary search the non-negative halves (ordered as integers).
	lo, hi := uint16(0), uint16(0x7bff)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f16Ref(mid) <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0x7bff || f16Ref(lo) == x {
		return sign | lo
	}
	dl, dh := x-f16Ref(lo), f16Ref(lo+1)-x
	switch {
	case dl < dh:
		return sign | lo
	case dh < dl:
		return sign | (lo + 1)
	case lo&1 == 0:
		return sign | lo
	}
	return sign | (lo + 1)
}

func TestF32ToF16Rounding(t *testing.T) {
	var cases []float32
	// Every midpoint between neighbouring halves and its float32 neighbours.
	for i := 0; i < 0x7bff; i++ {
		mid := float32((f16Ref(uint16(i)) + f16Ref(uint16(i+1))) / 2)
		cases = append(cases, mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		cases = append(cases, math.Float32frombits(r.Uint32()))
	}
	cases = append(cases, 0, 65504, 65519.99, 65520, 1e-8, 2.98e-8, 2.99e-8, 6e-8, float32(math.Inf(1)))
	for _, f := range cases {
		if math.IsNaN(float64(f)) {
			continue
		}
		for _, v := range []float32{f, -f} {
			if got, want := F32ToF16(v), f32ToF16Ref(v); got != want {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", v, got, want)
			}
		}
	}
	if h := F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Fatalf("NaN -> %#04x", h)
	}
}

func TestBF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %v", h, f)
		}
		if math.IsNaN(float64(f)) {
			continue
		}
		if g := F32ToBF16(f); g != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, g)
		}
	}
	tests := []struct {
		in   uint32
		want uint16
	}{
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above half
		{0x3f807fff, 0x3f80}, // below half
		{0x7f7fffff, 0x7f80}, // overflow to Inf
		{0x7fc00001, 0x7fc0}, // NaN stays quiet NaN
		{0x7f800001, 0x7fc0}, // signalling NaN quieted
	}
	for _, tc := range tests {
		if got := F32ToBF16(math.Float32frombits(tc.in)); got != tc.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}
