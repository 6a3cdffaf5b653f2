package quantize

import (
	"testing"

	"burrow/inference/gguf"
)

// FuzzPlan: any tensor names, shapes and hyperparameters give a plan or an
// error, never a panic, and every planned type divides its rows.
func FuzzPlan(f *testing.F) {
	f.Add("blk.0.ffn_down_exps.weight", int64(256), int64(256), int64(4), 2, 4, 2, 4, uint8(13))
	f.Add("output.weight", int64(96), int64(512), int64(1), 3, 4, 2, 0, uint8(8))
	f.Add("blk.99.attn_v.weight", int64(100), int64(7), int64(1), 0, 0, 0, 8, uint8(2))
	f.Fuzz(func(t *testing.T, name string, d0, d1, d2 int64, layers, heads, kv, experts int, which uint8) {
		if d0 <= 0 || d1 <= 0 || d2 <= 0 || d0 > 1<<20 || d1 > 1<<20 || d2 > 64 {
			return
		}
		ft := ftypes[int(which)%len(ftypes)]
		m := Model{Arch: "llama", Layers: layers, Heads: heads, HeadsKV: kv, Experts: experts}
		ts := []Tensor{
			{Name: name, Shape: []int64{d0, d1, d2}, Type: gguf.TypeF32},
			{Name: "blk.1." + name, Shape: []int64{d0, d1}, Type: gguf.TypeF16},
			{Name: "token_embd.weight", Shape: []int64{d0, d1}, Type: gguf.TypeF32},
		}
		plan, err := Plan(ft, m, ts)
		if err != nil {
			return
		}
		for _, p := range plan {
			if p.Shape[0]%int64(p.Out.BlockSize()) != 0 {
				t.Fatalf("%s: %s for rows of %d", p.Name, p.Out, p.Shape[0])
			}
		}
	})
}
