package llama

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// ErrUnsupported is wrapped by every "not supported yet" error, so callers
// can tell a file Burrow cannot run from a broken one.
var ErrUnsupported = errors.New("not supported")

// archInfo is what differs between the architectures the forward pass runs.
// Mistral files use the llama architecture.
type archInfo struct {
	neox    bool // rope rotates (i, i+d/2) pairs
	qkvBias bool // Q, K and V have biases
}

var archs = map[string]archInfo{
	"llama": {},
	"qwen2": {neox: true, qkvBias: true},
}

// SupportedArchitectures lists the architectures Load accepts.
func SupportedArchitectures() []string {
	names := make([]string, 0, len(archs))
	for n := range archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }
func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

func unsupportedArch(arch string) error {
	supported := strings.Join(SupportedArchitectures(), ", ")
	if arch == "" {
		return &unsupportedError{"the file names no architecture (general.architecture); supported: " + supported}
	}
	return &unsupportedError{fmt.Sprintf("%s is not supported yet; supported: %s", arch, supported)}
}

func unsupportedType(name string, t gguf.Type) error {
	var names []string
	for _, st := range tensor.SupportedTypes() {
		names = append(names, st.String())
	}
	return &unsupportedError{fmt.Sprintf("tensor %s has type %s, which is not supported yet; supported: %s",
		name, t, strings.Join(names, ", "))}
}

// CheckSupported tells, without loading anything, whether Load can run the
// file: its architecture, hyperparameters, and the type and shape of every
// tensor the forward pass reads.
func CheckSupported(f *gguf.File) error {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return err
	}
	for _, s := range tensorSpecs(&c) {
		ti, ok := f.Tensor(s.name)
		if !ok {
			if s.optional {
				continue
			}
			return fmt.Errorf("llama: tensor %s is missing", s.name)
		}
		if !tensor.Supported(ti.Type) {
			return unsupportedType(ti.Name, ti.Type)
		}
		if !sameShape(ti.Shape, s.shape) {
			return fmt.Errorf("llama: tensor %s has shape %v, want %v", s.name, ti.Shape, s.shape)
		}
		if !s.vector && s.shape[0]%int64(ti.Type.BlockSize()) != 0 {
			return fmt.Errorf("llama: tensor %s: row length %d is not a multiple of the %s block size", s.name, s.shape[0], ti.Type)
		}
	}
	return nil
}

// tensorSpec is one tensor the forward pass reads, in ggml shape order.
type tensorSpec struct {
	name     string
	shape    []int64
	vector   bool // 1-D: norm weights, biases, rope factors (copied to F32)
	optional bool
}

func tensorSpecs(c *Config) []tensorSpec {
	d, q, kv, ff, v := int64(c.Dim), int64(c.QDim()), int64(c.KVDim()), int64(c.HiddenDim), int64(c.VocabSize)
	specs := []tensorSpec{
		{name: "token_embd.weight", shape: []int64{d, v}},
		{name: "output_norm.weight", shape: []int64{d}, vector: true},
		{name: "output.weight", shape: []int64{d, v}, optional: true},
		{name: "rope_freqs.weight", shape: []int64{int64(c.RopeDim / 2)}, vector: true, optional: true},
	}
	for l := 0; l < c.Layers; l++ {
		b := func(s string) string { return fmt.Sprintf("blk.%d.%s", l, s) }
		specs = append(specs,
			tensorSpec{name: b("attn_norm.weight"), shape: []int64{d}, vector: true},
			tensorSpec{name: b("attn_q.weight"), shape: []int64{d, q}},
			tensorSpec{name: b("attn_k.weight"), shape: []int64{d, kv}},
			tensorSpec{name: b("attn_v.weight"), shape: []int64{d, kv}},
			tensorSpec{name: b("attn_output.weight"), shape: []int64{q, d}},
			tensorSpec{name: b("ffn_norm.weight"), shape: []int64{d}, vector: true},
			tensorSpec{name: b("ffn_gate.weight"), shape: []int64{d, ff}},
			tensorSpec{name: b("ffn_up.weight"), shape: []int64{d, ff}},
			tensorSpec{name: b("ffn_down.weight"), shape: []int64{ff, d}},
		)
		if c.QKVBias {
			specs = append(specs,
				tensorSpec{name: b("attn_q.bias"), shape: []int64{q}, vector: true},
				tensorSpec{name: b("attn_k.bias"), shape: []int64{kv}, vector: true},
				tensorSpec{name: b("attn_v.bias"), shape: []int64{kv}, vector: true},
			)
		}
	}
	return specs
}

func sameShape(a, b []int64) bool {
	// ggml may store trailing dimensions of 1.
	for len(a) > len(b) && a[len(a)-1] == 1 {
		a = a[:len(a)-1]
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
