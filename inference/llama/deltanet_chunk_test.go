package llama

import (
	"math"
	"math/rand"
	"testing"

	"burrow/inference/tensor"
)

// deltaTestConfig is a small Gated DeltaNet layer: 2 key heads, 4 value
// heads (so value heads share key heads), state 8.
func deltaTestConfig(sv int) *Config {
	return &Config{Layers: 1, Dim: 16, SSMConv: 4, SSMState: sv, SSMGroups: 2, SSMHeads: 4, SSMInner: 4 * sv, Recur: "r"}
}

// fillDelta gives n tokens random normalised q, k, random v, log decays
// (some near zero, some strong) and betas in (0, 1), as deltaNet leaves them.
// Correlated inputs are SiLU'd as the conv's are, so the keys point much
// the same way (the triangular solve's hard case), and some decays are
// strong enough that a chunk's decay cumsum grows large.
func fillDelta(rng *rand.Rand, c *Config, r *recurrent, n int, correlated bool) {
	sv, hk, hv, cd := c.SSMState, c.SSMGroups, c.SSMHeads, r.convDim
	for t := 0; t < n; t++ {
		row := r.conv[t*cd : (t+1)*cd]
		for i := range row {
			row[i] = float32(rng.NormFloat64())
			if correlated {
				row[i] = tensor.SiLU(row[i] + 1)
			}
		}
		for h := 0; h < 2*hk; h++ {
			l2Norm(row[h*sv:(h+1)*sv], 1e-6)
		}
		for h := 0; h < hv; h++ {
			r.alpha[t*hv+h] = -float32(rng.ExpFloat64()) * float32(rng.Intn(3))
			if correlated && rng.Intn(4) == 0 {
				r.alpha[t*hv+h] *= 40 // strong decays: a long cumsum
			}
			r.beta[t*hv+h] = float32(rng.Float64())
		}
	}
}

// runDelta runs n tokens from state S (modified) in batches of batch
// tokens, chunked or token by token, and returns the outputs.
func runDelta(c *Config, r *recurrent, S []float32, n, batch int, chunked bool) []float32 {
	hv, sv, cd := c.SSMHeads, c.SSMState, r.convDim
	conv, alpha, beta := append([]float32(nil), r.conv[:n*cd]...), append([]float32(nil), r.alpha[:n*hv]...), append([]float32(nil), r.beta[:n*hv]...)
	out := make([]float32, 0, n*hv*sv)
	for t0 := 0; t0 < n; t0 += batch {
		m := min(batch, n-t0)
		copy(r.conv, conv[t0*cd:(t0+m)*cd])
		copy(r.alpha, alpha[t0*hv:(t0+m)*hv])
		copy(r.beta, beta[t0*hv:(t0+m)*hv])
		r.curState = S
		if chunked {
			r.headsChunked(c, 0, hv, m)
		} else {
			r.headsToken(c, 0, hv, m)
		}
		out = append(out, r.o[:m*hv*sv]...)
	}
	copy(r.conv, conv)
	copy(r.alpha, alpha)
	copy(r.beta, beta)
	return out
}

func relDiff(a, b []float32) float64 {
	var d, m float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	return d / math.Max(m, 1)
}

// checkChunked holds the chunked recurrence equal to the token-by-token
// one over n tokens, batches of batch, from a random state.
func checkChunked(t *testing.T, rng *rand.Rand, sv, n, batch int, correlated bool) {
	t.Helper()
	c := deltaTestConfig(sv)
	r := newRecurrent(c, max(n, 2))
	if r.chunk == 0 && n > 1 {
		t.Fatalf("batch %d: no chunk scratch", n)
	}
	fillDelta(rng, c, r, n, correlated)
	S0 := make([]float32, r.ssmLen)
	for i := range S0 {
		S0[i] = float32(rng.NormFloat64())
	}
	S1, S2 := append([]float32(nil), S0...), append([]float32(nil), S0...)
	want := runDelta(c, r, S1, n, n, false)
	got := runDelta(c, r, S2, n, batch, true)
	if d := relDiff(got, want); d > 1e-5 {
		t.Errorf("sv %d, %d tokens, batches of %d: outputs differ by %g", sv, n, batch, d)
	}
	if d := relDiff(S2, S1); d > 1e-5 {
		t.Errorf("sv %d, %d tokens, batches of %d: states differ by %g", sv, n, batch, d)
	}
}

func TestDeltaChunkedMatchesTokenByToken(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 7, 63, 64, 65, 300} {
		for _, batch := range []int{n, 64, 100, 256, 3} {
			if batch > n {
				continue
			}
			checkChunked(t, rng, 8, n, batch, false)
			checkChunked(t, rng, 8, n, batch, true)
		}
	}
	checkChunked(t, rng, 32, 300, 256, true)  // qwen35-small's state
	checkChunked(t, rng, 128, 130, 130, true) // the 0.8B's
}

func FuzzDeltaChunked(f *testing.F) {
	f.Add(int64(1), uint16(65), uint16(64))
	f.Add(int64(2), uint16(7), uint16(3))
	f.Add(int64(3), uint16(300), uint16(256))
	f.Fuzz(func(t *testing.T, seed int64, n, batch uint16) {
		nn, bb := int(n%400)+1, int(batch%300)+1
		checkChunked(t, rand.New(rand.NewSource(seed)), 8, nn, min(bb, nn), seed%2 == 0)
	})
}

// The chunked recurrence works in the scratch newRecurrent made.
func TestDeltaChunkedDoesNotAllocate(t *testing.T) {
	c := deltaTestConfig(32)
	r := newRecurrent(c, 100)
	fillDelta(rand.New(rand.NewSource(1)), c, r, 100, true)
	r.curState = make([]float32, r.ssmLen)
	if a := testing.AllocsPerRun(5, func() { r.headsChunked(c, 0, c.SSMHeads, 100) }); a != 0 {
		t.Errorf("%v allocations a run", a)
	}
}
