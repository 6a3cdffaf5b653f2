package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gpt-oss's rope (64 dims, base 150000, 4096 trained positions, betas 32
// and 1): pairs 0..7 keep their angle, 18.. are interpolated.
func TestYaRNCorrDims(t *testing.T) {
	want := func(ropeDim, ctx int, base, beta float64) float64 {
		return float64(ropeDim) * math.Log(float64(ctx)/(beta*2*math.Pi)) / (2 * math.Log(base))
	}
	for _, c := range []struct {
		dim, ctx   int
		base, f, s float32
	}{{64, 4096, 150000, 32, 1}, {128, 16384, 1e6, 32, 1}, {16, 32, 10000, 32, 1}, {64, 8192, 500000, 16, 2}} {
		got := YaRNCorrDims(c.dim, c.ctx, c.base, c.f, c.s)
		lo := math.Max(0, math.Floor(want(c.dim, c.ctx, float64(c.base), float64(c.f))))
		hi := math.Min(float64(c.dim-1), math.Ceil(want(c.dim, c.ctx, float64(c.base), float64(c.s))))
		if float64(got[0]) != lo || float64(got[1]) != hi {
			t.Errorf("%+v: corr dims %v, want [%v %v]", c, got, lo, hi)
		}
	}
	if got := YaRNCorrDims(64, 4096, 150000, 32, 1); got != [2]float32{8, 18} {
		t.Errorf("gpt-oss corr dims %v, want [8 18]", got)
	}
}

// The ramp: 1 up to low, 0 from high, linear between.
func TestYaRNRamp(t *testing.T) {
	for _, c := range []struct {
		i    int
		want float32
	}{{0, 1}, {8, 1}, {13, 0.5}, {18, 0}, {31, 0}} {
		if got := yarnRamp(8, 18, c.i); math.Abs(float64(got-c.want)) > 1e-6 {
			t.Errorf("ramp(8, 18, %d) = %v, want %v", c.i, got, c.want)
		}
	}
}

// RoPEYaRN against the float64 formula: each pair's angle mixes the
// extrapolated pos*theta_i and the interpolated pos*theta_i*freqScale by
// the ramp, and the magnitude is attnFactor*(1+0.1 ln(1/freqScale)); with
// ExtFactor 0 and AttnFactor 1 it is RoPEScaled, bit for bit.
func TestRoPEYaRN(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	const heads, hd, pos = 3, 64, 777
	const base, fs = float32(150000), float32(1.0 / 32)
	x := randF32(r, heads*hd, 1)
	for _, neox := range []bool{false, true} {
		y := &YaRN{ExtFactor: 1, AttnFactor: 0.9, Corr: YaRNCorrDims(hd, 4096, base, 32, 1)}
		got := append([]float32(nil), x...)
		RoPEYaRN(got, heads, hd, hd, pos, base, fs, neox, nil, y)
		ms := 0.9 * (1 + 0.1*math.Log(32))
		for h := 0; h < heads; h++ {
			for i := 0; i < hd/2; i++ {
				th := float64(pos) * math.Pow(float64(base), -2*float64(i)/hd)
				mix := math.Max(0, math.Min(1, (float64(i)-float64(y.Corr[0]))/float64(y.Corr[1]-y.Corr[0])))
				ang := th*float64(fs)*mix + th*(1-mix)
				i0, i1 := h*hd+2*i, h*hd+2*i+1
				if neox {
					i0, i1 = h*hd+i, h*hd+i+hd/2
				}
				w0 := ms * (float64(x[i0])*math.Cos(ang) - float64(x[i1])*math.Sin(ang))
				w1 := ms * (float64(x[i0])*math.Sin(ang) + float64(x[i1])*math.Cos(ang))
				// float32 angles of ~800 radians carry errors of ~1e-4
				if math.Abs(float64(got[i0])-w0) > 2e-3 || math.Abs(float64(got[i1])-w1) > 2e-3 {
					t.Fatalf("neox %v head %d pair %d: (%v, %v), want (%v, %v)", neox, h, i, got[i0], got[i1], w0, w1)
				}
			}
		}
		plain, none := append([]float32(nil), x...), append([]float32(nil), x...)
		RoPEScaled(plain, heads, hd, hd, pos, base, fs, neox, nil)
		RoPEYaRN(none, heads, hd, hd, pos, base, fs, neox, nil, &YaRN{AttnFactor: 1, Corr: y.Corr})
		for i := range plain {
			if math.Float32bits(plain[i]) != math.Float32bits(none[i]) {
				t.Fatalf("neox %v: ExtFactor 0 gives %v at %d, RoPEScaled %v", neox, none[i], i, plain[i])
			}
		}
	}
}
