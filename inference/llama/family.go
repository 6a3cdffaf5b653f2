package llama

import (
	"fmt"
	"sort"
	"strings"

	"burrow/inference/tensor"
)

// A family is one architecture the forward pass runs, described as data:
// the tensors its files hold, the hyperparameters it reads beyond the
// common ones, and the steps of the shared pass it takes. Each family is
// one file, arch_<name>.go, that calls register from init. Load,
// CheckSupported, ConfigFromGGUF, synth and the CLI all read this registry.
type family struct {
	name string
	// tensors in the order llama.cpp's converter writes them; per-layer
	// entries (names with "blk.%d.") are repeated for every layer.
	tensors []tensorDecl
	// ropeNeoX: rope rotates (i, i+d/2) pairs instead of adjacent ones.
	ropeNeoX bool
	// hparams reads the family's own keys once the common ones are in c
	// (nil: none).
	hparams func(c *Config, k keys) error
	// qkSteps run on the batch's queries and keys (and values) after
	// their projections, before rope: biases, per-head norms.
	qkSteps []step
	// project, if set, makes the batch's Q, K and V in place of the three
	// separate projections (fused attn_qkv); gateUp likewise makes the
	// FFN's gate and up (a fused ffn_up). Both read s.inDim.
	project, gateUp step
	// embedScale: the embeddings are multiplied by sqrt(Dim) (gemma).
	embedScale bool
	// postAttn and postFFN run on a block's output before the residual
	// add (gemma's post-norms); geglu makes the FFN GELU(gate)*up.
	postAttn, postFFN step
	geglu             bool
	// moe: the FFN is a mixture of experts (Layer.Router and Exp*);
	// moeFFN, if set, computes it (on s.xb, in place) instead of the
	// softmax-then-top-k routing of moeFFNRows.
	moe    bool
	moeFFN step
	// layerOut, if set, runs on a layer's output after its FFN (gemma4's
	// per-layer embedding and output scale).
	layerOut step
	// newState, if set, makes the family's own scratch in a new State.
	newState func(s *State)
	// mixer, if set, is the whole attention block of layer l (norm,
	// token mixing, residual add) in place of attention (qwen35: Gated
	// DeltaNet or gated attention by layer).
	mixer func(s *State, l, n int)
}

// step is one named family-specific stage of a layer, run on the n tokens
// of the current batch.
type step func(s *State, L *Layer, n int)

var families = map[string]*family{}

// register adds a family; arch_*.go files call it from init.
func register(f *family) {
	if _, dup := families[f.name]; dup {
		panic("llama: family " + f.name + " registered twice")
	}
	families[f.name] = f
}

// SupportedArchitectures lists the architectures Load accepts (the
// general.architecture values), sorted.
func SupportedArchitectures() []string {
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookupFamily(arch string) (*family, error) {
	f, ok := families[arch]
	if !ok {
		return nil, unsupportedArch(arch)
	}
	return f, nil
}

// TensorKind says what a tensor is to the loader and to synth.
type TensorKind int

const (
	Matrix TensorKind = iota // a weight matrix, used as a view of the file
	Norm                     // a norm's weights: a vector copied to F32
	Vector                   // any other vector (biases, rope factors): copied to F32
)

// dim is one dimension of a tensor, from the hyperparameters.
type dim func(c *Config) int64

var (
	dModel    dim = func(c *Config) int64 { return int64(c.Dim) }
	dQ        dim = func(c *Config) int64 { return int64(c.QDim()) }
	dKV       dim = func(c *Config) int64 { return int64(c.KVDim()) }
	dFF       dim = func(c *Config) int64 { return int64(c.HiddenDim) }
	dVocab    dim = func(c *Config) int64 { return int64(c.VocabSize) }
	dHead     dim = func(c *Config) int64 { return int64(c.HeadDim) }
	dRopePair dim = func(c *Config) int64 { return int64(c.RopeDim / 2) }
)

// tensorDecl declares one tensor: its name, shape (ggml order: the row
// length first), kind, whether files may leave it out, and the field of
// the Model or of a Layer it fills.
type tensorDecl struct {
	name     string
	shape    []dim
	kind     TensorKind
	optional bool
	matrix   func(m *Model, L *Layer) **tensor.Matrix // Matrix kind
	vector   func(m *Model, L *Layer) *[]float32      // Norm and Vector kinds
	// only, if set, says which layers hold a per-layer tensor (qwen35's
	// recurrent and attention layers differ; gemma4's KV-sharing layers
	// have no K or V), or, called with -1, whether the model holds a
	// model-wide one; nil: always.
	only func(c *Config, l int) bool
	// layerShape, if set, replaces shape per layer (gemma4's local and
	// global layers differ in head size, KV heads and FFN width).
	layerShape func(c *Config, l int) []int64
	// synth: synth writes this optional tensor all the same.
	synth bool
}

func (d tensorDecl) perLayer() bool { return strings.Contains(d.name, "%d") }

// Declaration helpers: layer* fill a Layer field, model* a Model field.
func layerMatrix(name string, field func(L *Layer) **tensor.Matrix, shape ...dim) tensorDecl {
	return tensorDecl{name: "blk.%d." + name, shape: shape, kind: Matrix,
		matrix: func(_ *Model, L *Layer) **tensor.Matrix { return field(L) }}
}

func layerVector(name string, kind TensorKind, field func(L *Layer) *[]float32, shape ...dim) tensorDecl {
	return tensorDecl{name: "blk.%d." + name, shape: shape, kind: kind,
		vector: func(_ *Model, L *Layer) *[]float32 { return field(L) }}
}

func modelMatrix(name string, field func(m *Model) **tensor.Matrix, shape ...dim) tensorDecl {
	return tensorDecl{name: name, shape: shape, kind: Matrix,
		matrix: func(m *Model, _ *Layer) **tensor.Matrix { return field(m) }}
}

func modelVector(name string, kind TensorKind, field func(m *Model) *[]float32, shape ...dim) tensorDecl {
	return tensorDecl{name: name, shape: shape, kind: kind,
		vector: func(m *Model, _ *Layer) *[]float32 { return field(m) }}
}

func optional(d tensorDecl) tensorDecl { d.optional = true; return d }

// TensorSpec is one tensor of a family's file for a given Config.
type TensorSpec struct {
	Name     string
	Shape    []int64 // ggml order: Shape[0] is the row length
	Kind     TensorKind
	Optional bool
	Layer    int  // -1 for the model's own tensors
	Synth    bool // optional, but synth writes it
	decl     *tensorDecl
}

// Tensors lists the tensors a file of architecture arch with
// hyperparameters c holds, in file order (what synth writes).
func Tensors(arch string, c *Config) ([]TensorSpec, error) {
	f, err := lookupFamily(arch)
	if err != nil {
		return nil, err
	}
	return f.specs(c), nil
}

// specs expands the declarations for c: each run of per-layer entries is
// repeated for layers 0..Layers-1 where it stands.
func (f *family) specs(c *Config) []TensorSpec {
	var out []TensorSpec
	decls := f.tensors
	for i := 0; i < len(decls); {
		if !decls[i].perLayer() {
			if d := &decls[i]; d.only == nil || d.only(c, -1) {
				out = append(out, f.spec(d, c, -1))
			}
			i++
			continue
		}
		j := i
		for j < len(decls) && decls[j].perLayer() {
			j++
		}
		for l := 0; l < c.Layers; l++ {
			for k := i; k < j; k++ {
				if d := &decls[k]; d.only == nil || d.only(c, l) {
					out = append(out, f.spec(d, c, l))
				}
			}
		}
		i = j
	}
	return out
}

func (f *family) spec(d *tensorDecl, c *Config, layer int) TensorSpec {
	s := TensorSpec{Name: d.name, Kind: d.kind, Optional: d.optional, Layer: layer, Synth: d.synth, decl: d}
	if layer >= 0 {
		s.Name = fmt.Sprintf(d.name, layer)
	}
	if d.layerShape != nil {
		s.Shape = d.layerShape(c, layer)
		return s
	}
	for _, dm := range d.shape {
		s.Shape = append(s.Shape, dm(c))
	}
	return s
}
