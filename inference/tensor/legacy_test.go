package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// lqCase is one 32-value-block type under test; each type_x_test.go adds
// its own from init.
type lqCase struct {
	typ        gguf.Type
	bs         int // weight bytes per block
	actBS      int // activation bytes per block
	act        func(dst []byte, x []float32)
	dequantize func(dst []float32, src []byte)
	quantize   func(dst []byte, x []float32)
	plain      func(w, x []byte, nb int) float32
	// roundTrip bounds the error of one block: max |x - y| over the block
	// given its values.
	roundTrip func(x []float32) float64
	// minTerm: the type has an F16 min at bytes 2..3 that the kernels
	// multiply by Q8_1's s (see q8_1MinTerm).
	minTerm bool
}

var lqCases []lqCase

func lqFind(t gguf.Type) *lqCase {
	for i := range lqCases {
		if lqCases[i].typ == t {
			return &lqCases[i]
		}
	}
	return nil
}

func lqAmax(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func TestLegacyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range lqCases {
		t.Run(c.typ.String(), func(t *testing.T) {
			for it := 0; it < 300; it++ {
				x := randF32(r, lqBlock, float32(0.01+r.Float64()*4))
				if it%7 == 0 {
					x[r.IntN(lqBlock)] *= 8 // an outlier
				}
				if it%50 == 0 {
					clear(x)
				}
				b := make([]byte, c.bs)
				c.quantize(b, x)
				y := make([]float32, lqBlock)
				c.dequantize(y, b)
				bound := c.roundTrip(x)
				for j := range x {
					if e := math.Abs(float64(x[j] - y[j])); !(e <= bound) {
						t.Fatalf("block %d value %d: %g -> %g, error %g > %g", it, j, x[j], y[j], e, bound)
					}
				}
			}
		})
	}
}

// lqRandBlocks makes nb weight blocks: mostly quantized random values,
// some zero blocks, some random bytes (NaN/Inf scales included).
func lqRandBlocks(r *rand.Rand, c *lqCase, nb int) []byte {
	w := make([]byte, nb*c.bs)
	for i := 0; i < nb; i++ {
		b := w[i*c.bs : (i+1)*c.bs]
		switch r.IntN(8) {
		case 0: // zero block
		case 1:
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		case 2:
			c.quantize(b, randF32(r, lqBlock, 1))
			binary.LittleEndian.PutUint16(b, 0x7C00|uint16(r.IntN(2))<<15|uint16(r.IntN(2))) // Inf or NaN
		default:
			c.quantize(b, randF32(r, lqBlock, float32(r.Float64()*3)))
		}
	}
	return w
}

func lqRandAct(r *rand.Rand, c *lqCase, nb int) []byte {
	x := make([]byte, nb*c.actBS)
	if r.IntN(6) == 0 {
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		return x
	}
	c.act(x, randF32(r, nb*lqBlock, float32(r.Float64()*5)))
	return x
}

func TestLegacyPlainEqualsFast(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range lqCases {
		fast := lqFast(c.typ)
		if fast == nil {
			continue
		}
		t.Run(c.typ.String(), func(t *testing.T) {
			for it := 0; it < 400; it++ {
				nb := 1 + it%9
				w, x := lqRandBlocks(r, &c, nb), lqRandAct(r, &c, nb)
				p, f := c.plain(w, x, nb), fast(w, x, nb)
				if !sameBits(p, f) {
					t.Fatalf("nb %d: plain %g (%#x) fast %g (%#x)", nb, p, math.Float32bits(p), f, math.Float32bits(f))
				}
			}
			if fast(nil, nil, 0) != 0 {
				t.Fatal("nb 0 is not 0")
			}
		})
	}
}

// TestLegacyDotVsF32: the integer dot equals the float64 dot of the
// dequantized weights and activations up to float32 rounding of the block
// scale products and sums: within 1e-5 of sum |w||x|.
func TestLegacyDotVsF32(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range lqCases {
		t.Run(c.typ.String(), func(t *testing.T) {
			for it := 0; it < 100; it++ {
				nb := 1 + it%16
				xf := randF32(r, nb*lqBlock, 2)
				w := make([]byte, nb*c.bs)
				c.quantize(w, randF32(r, nb*lqBlock, 1))
				x := make([]byte, nb*c.actBS)
				c.act(x, xf)
				wd := make([]float32, nb*lqBlock)
				c.dequantize(wd, w)
				xd := make([]float32, nb*lqBlock)
				forms[lqFormOf(c.typ)].toF32(xd, x)
				var want, mag float64
				for j := range wd {
					want += float64(wd[j]) * float64(xd[j])
					mag += math.Abs(float64(wd[j]) * float64(xd[j]))
				}
				if c.minTerm {
					want += q8_1MinTerm(w, x, c.bs, nb)
				}
				got := float64(c.plain(w, x, nb))
				if math.Abs(got-want) > 1e-5*mag+1e-30 {
					t.Fatalf("nb %d: dot %g, dequantized %g (mag %g)", nb, got, want, mag)
				}
			}
		})
	}
}

func lqFormOf(t gguf.Type) actForm { return lookup(t).form }

// FuzzLegacyDot holds plain == fast for every 32-block type on any bytes.
func FuzzLegacyDot(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range lqCases {
		c := &lqCases[i]
		for nb := 1; nb <= 3; nb++ {
			f.Add(uint8(i), append(lqRandBlocks(r, c, nb), lqRandAct(r, c, nb)...))
		}
	}
	f.Add(uint8(0), make([]byte, 100))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		if len(lqCases) == 0 {
			return
		}
		c := &lqCases[int(which)%len(lqCases)]
		fast := lqFast(c.typ)
		if fast == nil {
			return
		}
		nb := len(data) / (c.bs + c.actBS)
		w, x := data[:nb*c.bs], data[nb*c.bs:nb*(c.bs+c.actBS)]
		p, fa := c.plain(w, x, nb), fast(w, x, nb)
		if !sameBits(p, fa) {
			t.Fatalf("%s nb %d: plain %g fast %g", c.typ, nb, p, fa)
		}
	})
}

// TestLegacyRealBlocks reads tensors llama-quantize wrote and checks that
// they dequantize to finite, plausibly scaled weights (the synthetic models
// draw N(0, 1/fan_in)) and that re-quantizing gives back the same bytes.
func TestLegacyRealBlocks(t *testing.T) {
	files := map[gguf.Type]string{
		gguf.TypeQ4_0: "llamakq-q4_0.gguf", gguf.TypeQ4_1: "llamakq-q4_1.gguf",
		gguf.TypeQ5_0: "llamakq-q5_0.gguf", gguf.TypeQ5_1: "llamakq-q5_1.gguf",
		gguf.TypeIQ4_NL: "llamakq-iq4_nl.gguf", gguf.TypeMXFP4: "qwen3moe-mxfp4_moe.gguf",
	}
	for _, c := range lqCases {
		t.Run(c.typ.String(), func(t *testing.T) {
			f, err := gguf.Open(testenv.Path(t, "models", "round2", files[c.typ]))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			seen, blocks, same := 0, 0, 0
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				if ti.Type != c.typ {
					continue
				}
				seen++
				data := f.TensorData(ti)
				n := int(ti.Elements())
				y := make([]float32, n)
				c.dequantize(y, data)
				var ss float64
				for j, v := range y {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s value %d is %g", ti.Name, j, v)
					}
					ss += float64(v) * float64(v)
				}
				rms := math.Sqrt(ss / float64(n))
				fanIn := float64(ti.Shape[0])
				want := 1 / math.Sqrt(fanIn)
				if strings.Contains(ti.Name, "token_embd") {
					want = 1 // embeddings are N(0, 1)
				}
				if rms < want/3 || rms > want*3 {
					t.Errorf("%s: rms %g, want about %g", ti.Name, rms, want)
				}
				b := make([]byte, c.bs)
				for k := 0; k < n/lqBlock; k++ {
					blocks++
					c.quantize(b, y[k*lqBlock:(k+1)*lqBlock])
					if string(b) == string(data[k*c.bs:(k+1)*c.bs]) {
						same++
					}
				}
			}
			if seen == 0 {
				t.Fatalf("no %s tensors in %s", c.typ, files[c.typ])
			}
			t.Logf("%d tensors, %d blocks, %d re-quantize to the same bytes", seen, blocks, same)
			// IQ4_NL's scale search on already-quantized values may settle
			// on another scale, so it is held to 99%, not to every block.
			if c.typ == gguf.TypeIQ4_NL {
				if same < blocks*99/100 {
					t.Errorf("only %d of %d blocks re-quantize the same", same, blocks)
				}
			} else if same != blocks {
				t.Errorf("%d of %d blocks re-quantize differently", blocks-same, blocks)
			}
		})
	}
}
