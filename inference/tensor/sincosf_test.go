package tensor

import (
	"math"
	"testing"
)

// TestSinCosF32IsGlibc: sinCosF32 gives glibc's sincosf bits (values taken
// from glibc 2.36's libm on x86-64, the one node-llama-cpp's prebuilt
// llama.cpp calls) where they differ from the correctly rounded sine or
// cosine, in each of its three ranges (|x| < pi/4, < 120, larger).
func TestSinCosF32IsGlibc(t *testing.T) {
	for _, c := range [][3]uint32{
		{0x3e8c3501, 0x3e8a7616, 0x3f767611}, // 0.2738419
		{0x3e315972, 0x3e3076d0, 0x3f7c2b8e}, // 0.17319277
		{0x3f836cf2, 0x3f5b0a6a, 0x3f0480e6}, // 1.0267622
		{0x40c1f9db, 0xbe60e6bc, 0x3f79bfd2}, // 6.06175
		{0x3fd8d252, 0x3f7e0fe5, 0xbdfb847f}, // 1.6939185
		{0x411bfa5d, 0xbea2ed10, 0xbf72b159}, // 9.748624
		{0x42080000, 0x3f0771f6, 0xbf593be7}, // 34
		{0x42c00000, 0x3f7bcc68, 0xbe38c2c3}, // 96
		{0x42c40000, 0xbf12c927, 0xbf51bce0}, // 98
		{0x43030000, 0xbf4fc53d, 0x3f158eb5}, // 131
		{0x43410000, 0xbf7a7c21, 0xbe536859}, // 193
		{0x43870000, 0xbe344564, 0x3f7c0075}, // 270
		{0x43ab8000, 0xbf095e82, 0xbf5805c1}, // 343
		{0x43de0000, 0xbf5c2e84, 0xbf029943}, // 444
		{0x43f98000, 0x3efb63bd, 0xbf5f047c}, // 499
	} {
		x := math.Float32frombits(c[0])
		s, co := sinCosF32(x)
		if math.Float32bits(s) != c[1] || math.Float32bits(co) != c[2] {
			t.Errorf("sincosf(%v) = %v, %v; glibc %v, %v", x, s, co, math.Float32frombits(c[1]), math.Float32frombits(c[2]))
		}
		// And the angles are ones where glibc is not correctly rounded,
		// so the test tells the two apart.
		if float32(math.Sin(float64(x))) == math.Float32frombits(c[1]) && float32(math.Cos(float64(x))) == math.Float32frombits(c[2]) {
			t.Errorf("%v: glibc agrees with the correctly rounded values; not a useful case", x)
		}
	}
	for _, x := range []float32{0, 1e-30, -1e-5, float32(math.Pi), -200, 1e7, 3e38} {
		s, c := sinCosF32(x)
		if math.Abs(float64(s)-math.Sin(float64(x))) > 1e-6 || math.Abs(float64(c)-math.Cos(float64(x))) > 1e-6 {
			t.Errorf("sincosf(%v) = %v, %v; want about %v, %v", x, s, c, math.Sin(float64(x)), math.Cos(float64(x)))
		}
	}
	for _, x := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		if s, c := sinCosF32(x); s == s || c == c {
			t.Errorf("sincosf(%v) = %v, %v; want NaN", x, s, c)
		}
	}
}
