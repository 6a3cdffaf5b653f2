// Package quantize converts a GGUF model to a llama-quantize file type
// (Q4_K_M, Q8_0, MXFP4_MOE, ...): recipe.go decides each tensor's type the
// way llama.cpp's src/llama-quant.cpp does, write.go streams the new file.
package quantize

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"burrow/inference/gguf"
)

// Ftype is a llama-quantize file type: a recipe that gives each tensor a
// weight type, starting from Base and moving sensitive tensors up.
type Ftype struct {
	Name string    // as llama-quantize spells it: "Q4_K_M"
	ID   uint32    // llama_ftype, written as general.file_type
	Base gguf.Type // the type of the tensors no rule moves
}

func (f Ftype) String() string { return f.Name }

// The llama_ftype numbers of the recipes below.
const (
	idF32      = 0
	idF16      = 1
	idQ4_0     = 2
	idQ4_1     = 3
	idQ8_0     = 7
	idQ5_0     = 8
	idQ5_1     = 9
	idQ2_K     = 10
	idQ3_K_S   = 11
	idQ3_K_M   = 12
	idQ3_K_L   = 13
	idQ4_K_S   = 14
	idQ4_K_M   = 15
	idQ5_K_S   = 16
	idQ5_K_M   = 17
	idQ6_K     = 18
	idIQ4_NL   = 25
	idIQ4_XS   = 30
	idBF16     = 32
	idMXFP4MoE = 38
)

// ftypes are the recipes Burrow implements. The IQ1/IQ2/IQ3 and Q2_K_S
// recipes need an importance matrix or quantizers Burrow does not have.
var ftypes = []Ftype{
	{"F32", idF32, gguf.TypeF32},
	{"F16", idF16, gguf.TypeF16},
	{"BF16", idBF16, gguf.TypeBF16},
	{"Q4_0", idQ4_0, gguf.TypeQ4_0},
	{"Q4_1", idQ4_1, gguf.TypeQ4_1},
	{"Q5_0", idQ5_0, gguf.TypeQ5_0},
	{"Q5_1", idQ5_1, gguf.TypeQ5_1},
	{"Q8_0", idQ8_0, gguf.TypeQ8_0},
	{"Q2_K", idQ2_K, gguf.TypeQ2_K},
	{"Q3_K_S", idQ3_K_S, gguf.TypeQ3_K},
	{"Q3_K_M", idQ3_K_M, gguf.TypeQ3_K},
	{"Q3_K_L", idQ3_K_L, gguf.TypeQ3_K},
	{"Q4_K_S", idQ4_K_S, gguf.TypeQ4_K},
	{"Q4_K_M", idQ4_K_M, gguf.TypeQ4_K},
	{"Q5_K_S", idQ5_K_S, gguf.TypeQ5_K},
	{"Q5_K_M", idQ5_K_M, gguf.TypeQ5_K},
	{"Q6_K", idQ6_K, gguf.TypeQ6_K},
	{"IQ4_NL", idIQ4_NL, gguf.TypeIQ4_NL},
	{"IQ4_XS", idIQ4_XS, gguf.TypeIQ4_XS},
	{"MXFP4_MOE", idMXFP4MoE, gguf.TypeMXFP4},
}

// LookupFtype finds a recipe by name, case-insensitively ("q4_k_m").
// llama-quantize's aliases Q4_K and Q5_K mean Q4_K_M and Q5_K_M, and Q3_K
// means Q3_K_M.
func LookupFtype(name string) (Ftype, bool) {
	n := strings.ToUpper(name)
	switch n {
	case "Q3_K", "Q4_K", "Q5_K":
		n += "_M"
	}
	for _, f := range ftypes {
		if f.Name == n {
			return f, true
		}
	}
	return Ftype{}, false
}

// FtypeNames lists the recipe names, for help and error texts.
func FtypeNames() []string {
	out := make([]string, len(ftypes))
	for i, f := range ftypes {
		out[i] = f.Name
	}
	return out
}

// IsMix reports whether name is a recipe but not also the name of a ggml
// weight type: "q4_k_m" is, "q4_k" and "q8_0" are not.
func IsMix(name string) bool {
	if _, ok := gguf.ParseType(name); ok {
		return false
	}
	_, ok := LookupFtype(name)
	return ok
}

// Model is what the recipe reads of the model's hyperparameters.
type Model struct {
	Arch    string
	Layers  int // block_count
	Heads   int // attention heads of layer 0
	HeadsKV int // KV heads of layer 0
	Experts int // expert_count (0 for dense models)
}

// ModelOf reads the hyperparameters the recipe needs from a file's metadata.
func ModelOf(f *gguf.File) Model {
	m := Model{Arch: f.Architecture()}
	m.Layers = int(f.IntOr(f.ArchKey("block_count"), 0))
	m.Heads = firstInt(f, f.ArchKey("attention.head_count"), 0)
	m.HeadsKV = firstInt(f, f.ArchKey("attention.head_count_kv"), m.Heads)
	m.Experts = int(f.IntOr(f.ArchKey("expert_count"), 0))
	return m
}

// firstInt reads a count that may be a number or a per-layer array (then
// layer 0's, as llama.cpp's n_gqa() without a layer does).
func firstInt(f *gguf.File, key string, def int) int {
	if v, ok := f.Int(key); ok {
		return int(v)
	}
	if a, ok := f.Int32s(key); ok && len(a) > 0 {
		return int(a[0])
	}
	return def
}

// gqa is n_head / n_head_kv, 0 without KV heads.
func (m Model) gqa() int {
	if m.HeadsKV <= 0 {
		return 0
	}
	return m.Heads / m.HeadsKV
}

// is70B is llama.cpp's LLM_TYPE_70B: an 80-layer Llama with grouped KV heads.
func (m Model) is70B() bool {
	return m.Arch == "llama" && m.Layers == 80 && m.Heads != m.HeadsKV
}

// Tensor is one input tensor: its name, ggml shape and current type.
type Tensor struct {
	Name  string
	Shape []int64
	Type  gguf.Type
}

// Planned is a tensor with the type the recipe gives it.
type Planned struct {
	Tensor
	Index    int       // position in the slice given to Plan
	Out      gguf.Type // the type to write
	Fallback bool      // the recipe's type did not fit the row length
}

// Plan gives every tensor its type, in the order llama-quantize handles
// (and writes) them: the tensors outside the blocks by name, then block by
// block, each block's by name. The counting rules (every third attn_v,
// the first eighth of the ffn_down) follow that order.
func Plan(ft Ftype, m Model, ts []Tensor) ([]Planned, error) {
	if known, ok := LookupFtype(ft.Name); !ok || known != ft {
		return nil, fmt.Errorf("quantize: unknown file type %q", ft.Name)
	}
	out := make([]Planned, len(ts))
	for i, t := range ts {
		out[i] = Planned{Tensor: t, Index: i, Out: t.Type}
	}
	slices.SortStableFunc(out, func(a, b Planned) int { return compareNames(a.Name, b.Name) })
	s := &state{ft: ft, m: m, tied: true}
	for _, p := range out {
		c := categoryOf(p.Name)
		if isAttnV(c) {
			s.nAttnV++
		}
		if c == catOutput {
			s.tied = false
		}
	}
	for i := range out {
		p := &out[i]
		if !allowsQuantization(p.Name, p.Shape) {
			continue
		}
		typ := ft.Base
		if isQuantized(typ) {
			var err error
			if typ, err = s.pick(p.Tensor, categoryOf(p.Name), typ); err != nil {
				return nil, err
			}
			fb, err := fallback(p.Tensor, typ)
			if err != nil {
				return nil, err
			}
			p.Fallback = fb != typ
			typ = fb
		}
		p.Out = typ
	}
	return out, nil
}

// compareNames orders tensors as llama.cpp's loader map does: by the block
// number after "blk." (-1 for tensors outside the blocks), then by name.
func compareNames(a, b string) int {
	la, lb := blockOf(a), blockOf(b)
	if la != lb {
		if la < lb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// blockOf is the layer number of a "blk.N." name, or -1.
func blockOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	if end == 0 || end >= len(rest) || rest[end] != '.' {
		return -1
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}

func isQuantized(t gguf.Type) bool { return t.BlockSize() > 1 }

// category is a tensor's role, as the rules see it.
type category int

const (
	catOther category = iota
	catTokenEmbd
	catAttnQ
	catAttnK
	catAttnV
	catAttnQKV
	catAttnKVB
	catAttnOutput
	catFFNUp
	catFFNGate
	catFFNDown
	catOutput
)

// categoryParts are the name parts categoryOf looks for, in llama.cpp's
// order (attn_qkv before attn_q; substrings, so that expert tensors like
// ffn_down_exps count as ffn_down).
var categoryParts = [...]struct {
	part string
	cat  category
}{
	{"attn_qkv.weight", catAttnQKV},
	{"attn_kv_b.weight", catAttnKVB},
	{"attn_v.weight", catAttnV},
	{"attn_k.weight", catAttnK},
	{"attn_q.weight", catAttnQ},
	{"attn_output.weight", catAttnOutput},
	{"ffn_up", catFFNUp},
	{"ffn_gate", catFFNGate},
	{"ffn_down", catFFNDown},
}

func categoryOf(name string) category {
	switch name {
	case "output.weight":
		return catOutput
	case "token_embd.weight", "per_layer_token_embd.weight":
		return catTokenEmbd
	}
	for _, p := range categoryParts {
		if strings.Contains(name, p.part) {
			return p.cat
		}
	}
	return catOther
}

// isAttnV: the value-like projections, the most sensitive to quantization.
func isAttnV(c category) bool { return c == catAttnV || c == catAttnQKV || c == catAttnKVB }

// keepSubstrings name tensors llama-quantize leaves in their type: expert
// routers, tiny or positional tensors, convolutions, vision and audio parts.
var keepSubstrings = []string{
	"_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight",
	"altup", "laurel", "per_layer_model_proj",
	"ssm_conv1d", "shortconv.conv.weight",
	"indexer.k_proj.weight", "indexer.q_proj.weight",
	"time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
	"time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight",
	"time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
	"time_mix_g1.weight", "time_mix_g2.weight",
	"time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
	"attn_rel_b.weight",
	".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
	"a.rvq.codebook", "mm.a.code_embd",
}

// allowsQuantization: only matrices (2-D, or 3-D expert stacks) whose name
// ends in "weight" and that are none of the kept kinds.
func allowsQuantization(name string, shape []int64) bool {
	if nDims(shape) < 2 || !strings.HasSuffix(name, "weight") {
		return false
	}
	if name == "position_embd.weight" || name == "token_types.weight" {
		return false
	}
	for _, s := range keepSubstrings {
		if strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// nDims is ggml_n_dims: trailing dimensions of 1 do not count.
func nDims(shape []int64) int {
	n := 1
	for i, d := range shape {
		if d > 1 {
			n = i + 1
		}
	}
	return n
}

// dim is shape[i], 1 past the end (ggml pads ne with ones).
func dim(shape []int64, i int) int64 {
	if i < len(shape) {
		return shape[i]
	}
	return 1
}

// state carries the counters the rules use across tensors.
type state struct {
	ft     Ftype
	m      Model
	tied   bool // no output.weight: token_embd doubles as the output
	nAttnV int
	iAttnV int
	iDown  int
}

// useMoreBits picks the layers that get the bigger type: the first and
// last eighth and every third one between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// layer is the tensor's layer for the per-layer rules: the running count,
// or for MoE models (whose expert tensors are not in layer order) the
// number in the name.
func (s *state) layer(counter int, name string) (int, error) {
	if max(1, s.m.Experts) <= 1 {
		return counter, nil
	}
	l := blockOf(name)
	if l < 0 {
		return 0, fmt.Errorf("quantize: cannot tell the layer of tensor %s", name)
	}
	if l >= s.m.Layers {
		return 0, fmt.Errorf("quantize: tensor %s is in layer %d of a %d-layer model", name, l, s.m.Layers)
	}
	return l, nil
}

// pick is the recipe's type for one quantizable tensor (llama.cpp's
// llama_tensor_get_type_impl for the file types in ftypes).
func (s *state) pick(t Tensor, c category, typ gguf.Type) (gguf.Type, error) {
	id, arch := s.ft.ID, s.m.Arch
	falcon := arch == "falcon"
	switch {
	case c == catOutput || (s.tied && c == catTokenEmbd):
		// The output matrix (or the tied embedding that serves as it).
		switch {
		case id == idMXFP4MoE:
			return gguf.TypeQ8_0, nil
		case falcon || t.Shape[0]%int64(typ.BlockSize()) != 0:
			return gguf.TypeQ8_0, nil
		case typ != gguf.TypeQ8_0:
			return gguf.TypeQ6_K, nil
		}
		return typ, nil
	case id == idMXFP4MoE:
		// Expert stacks in MXFP4, everything else in Q8_0.
		expert := c == catFFNUp || c == catFFNGate || c == catFFNDown
		if dim(t.Shape, 2) > 1 && (arch != "bailingmoe3" || expert) {
			return gguf.TypeMXFP4, nil
		}
		return gguf.TypeQ8_0, nil
	case c == catTokenEmbd:
		return typ, nil // only the IQ1/IQ2/IQ3/TQ recipes move it
	case isAttnV(c):
		// attn_qkv is counted here too, so llama.cpp's separate attn_qkv
		// rule never applies.
		gqa := s.m.gqa()
		switch {
		case id == idQ2_K:
			typ = gguf.TypeQ3_K
			if gqa >= 4 {
				typ = gguf.TypeQ4_K
			}
		case id == idQ3_K_M:
			typ = gguf.TypeQ4_K
			if s.iAttnV < 2 {
				typ = gguf.TypeQ5_K
			}
		case id == idQ3_K_L:
			typ = gguf.TypeQ5_K
		case (id == idIQ4_NL || id == idIQ4_XS) && gqa >= 4:
			typ = gguf.TypeQ5_K
		case (id == idQ4_K_M || id == idQ5_K_M) && useMoreBits(s.iAttnV, s.nAttnV):
			typ = gguf.TypeQ6_K
		case id == idQ4_K_S && s.iAttnV < 4:
			typ = gguf.TypeQ5_K
		}
		if s.m.is70B() && (typ == gguf.TypeQ3_K || typ == gguf.TypeQ4_K) {
			// 70B shares one attn_v among 8 heads: a small tensor, cheap to widen.
			typ = gguf.TypeQ5_K
		}
		if s.m.Experts == 8 {
			typ = gguf.TypeQ8_0
		}
		s.iAttnV++
		return typ, nil
	case c == catAttnK:
		if s.m.Experts == 8 {
			return gguf.TypeQ8_0, nil
		}
		return typ, nil
	case c == catFFNDown:
		i, err := s.layer(s.iDown, t.Name)
		if err != nil {
			return 0, err
		}
		n := s.m.Layers
		more := useMoreBits(i, n)
		switch {
		case id == idQ2_K:
			typ = gguf.TypeQ3_K
		case id == idQ3_K_M:
			switch {
			case i < n/16:
				typ = gguf.TypeQ5_K
			case !falcon || more:
				typ = gguf.TypeQ4_K
			default:
				typ = gguf.TypeQ3_K
			}
		case id == idQ3_K_L:
			typ = gguf.TypeQ5_K
			if falcon {
				typ = gguf.TypeQ4_K
			}
		case id == idQ4_K_M:
			switch {
			case falcon && i < n/16:
				typ = gguf.TypeQ6_K
			case falcon && more:
				typ = gguf.TypeQ5_K
			case more && !falcon:
				typ = gguf.TypeQ6_K
			}
		case i < n/8 && (id == idIQ4_NL || id == idIQ4_XS):
			typ = gguf.TypeQ5_K // without an importance matrix
		case id == idQ5_K_M && more:
			typ = gguf.TypeQ6_K
		case id == idQ4_K_S && !falcon && i < n/8:
			typ = gguf.TypeQ5_K
		}
		s.iDown++
		return typ, nil
	case c == catAttnOutput:
		if falcon {
			if id == idQ3_K_L {
				typ = gguf.TypeQ4_K
			}
			return typ, nil
		}
		if s.m.Experts == 8 {
			switch id {
			case idQ2_K, idQ3_K_S, idQ3_K_M, idIQ4_NL, idQ4_K_S, idQ4_K_M, idIQ4_XS:
				typ = gguf.TypeQ5_K
			}
			return typ, nil
		}
		switch id {
		case idQ2_K:
			typ = gguf.TypeQ3_K
		case idQ3_K_M:
			typ = gguf.TypeQ4_K
		case idQ3_K_L:
			typ = gguf.TypeQ5_K
		}
		return typ, nil
	}
	// attn_q, ffn_up, ffn_gate and the rest: only the IQ2/IQ3 recipes move them.
	return typ, nil
}

// fallback replaces a type whose blocks do not divide the row length with
// the nearest 32-wide type, F16 when even that does not fit, as
// llama-quantize does.
func fallback(t Tensor, typ gguf.Type) (gguf.Type, error) {
	cols := t.Shape[0]
	if cols%int64(typ.BlockSize()) == 0 {
		return typ, nil
	}
	var fb gguf.Type
	switch typ {
	case gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S,
		gguf.TypeIQ3_XXS, gguf.TypeIQ3_S, gguf.TypeIQ4_XS:
		fb = gguf.TypeIQ4_NL
	case gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeTQ1_0, gguf.TypeTQ2_0:
		fb = gguf.TypeQ4_0
	case gguf.TypeQ4_K:
		fb = gguf.TypeQ5_0
	case gguf.TypeQ5_K:
		fb = gguf.TypeQ5_1
	case gguf.TypeQ6_K:
		fb = gguf.TypeQ8_0
	default:
		return 0, fmt.Errorf("quantize: tensor %s: rows of %d values do not split into %s blocks of %d, and %s has no fallback type",
			t.Name, cols, typ, typ.BlockSize(), typ)
	}
	if cols%int64(fb.BlockSize()) != 0 {
		fb = gguf.TypeF16
	}
	return fb, nil
}
