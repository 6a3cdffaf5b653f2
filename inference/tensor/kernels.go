package tensor

import "burrow/inference/gguf"

// A kernel set is one complete choice of kernels: the matmul row kernels
// of every weight type plus the attention and softmax kernels: plainSet
// (the Go twins, everywhere), fastSet and vnniSet (assembly, defined in
// dot_amd64.go). useFast and usePlain switch the whole set; tests and
// benchmarks run every set the CPU has.
type kernelSet struct {
	name string     // as Kernels reports it
	base *kernelSet // where rows has no kernels for a type, base's serve

	// rows holds each weight type's kernels, by gguf.Type. A fast set
	// leaves a type empty where the plain kernels serve (kernelsOf).
	rows [maxTypes]rowKernels

	// Attention and softmax kernels; attention.go, attention_f16.go and
	// softmax.go call them through the package variables of the same name.
	dotF32GGML512 func(x, y []float32) float32
	scoresGGML    func(out, k []float32, stride int, q []float32, scale float32)
	wsumLanes     func(lanes, v []float32, stride int, w []float32)
	expSub        func(x []float32, m float32)
	vectorExp     bool // expSubAsm may be called directly
	f16AttFast    bool // attendF16Blocks calls the *Fast kernels directly
}

// plainSet is the Go twins; register fills in the row kernels.
var plainSet = &kernelSet{
	name:          "plain",
	dotF32GGML512: dotF32GGML512Plain,
	scoresGGML:    scoresGGMLPlain,
	wsumLanes:     wsumLanesPlain,
	expSub:        expSubPlain,
}

// active is the set in use. It becomes plainSet during variable
// initialization, so every init (dot_amd64.go's useFast included) runs
// after that.
var (
	active *kernelSet
	_      = use(plainSet)
)

// The active set's attention kernels, under the names their callers use.
var (
	dotF32GGML512 func(x, y []float32) float32
	scoresGGML    func(out, k []float32, stride int, q []float32, scale float32)
	wsumLanes     func(lanes, v []float32, stride int, w []float32)
	expSub        func(x []float32, m float32)
	vectorExp     bool
	f16AttFast    bool
)

// use makes s the active set.
func use(s *kernelSet) *kernelSet {
	active = s
	dotF32GGML512, scoresGGML, wsumLanes, expSub = s.dotF32GGML512, s.scoresGGML, s.wsumLanes, s.expSub
	vectorExp, f16AttFast = s.vectorExp, s.f16AttFast
	return s
}

// usePlain points the kernels at the Go twins (tests and benchmarks).
func usePlain() { use(plainSet) }

// kernelsOf is the active set's kernels for weight type t (zero if t is
// not registered).
func kernelsOf(t gguf.Type) *rowKernels {
	if int(t) >= maxTypes {
		return &noKernels
	}
	for s := active; s != nil; s = s.base {
		if k := &s.rows[t]; k.dot != nil {
			return k
		}
	}
	return &plainSet.rows[t]
}

var noKernels rowKernels

// Kernels names the dot-product kernels in use: "avx2+avx512vnni", "avx2"
// or "plain".
func Kernels() string { return active.name }
