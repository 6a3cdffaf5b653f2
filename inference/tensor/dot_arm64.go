package tensor

import (
	"fmt"
	"os"

	"golang.org/x/sys/cpu"

	"burrow/inference/gguf"
)

// arm64: NEON is always there; the kernel set needs SDOT (ARMv8.2
// dotprod: every Apple Silicon Mac, Graviton 2 on, Cortex-A55/A76 on).
// Without it the plain set runs.
var haveSDOT = cpu.ARM64.HasASIMDDP

// No AVX2 here; the tests that hold AVX2 to a model skip that part.
const haveAVX2 = false

func init() {
	if haveSDOT {
		useFast()
	}
}

// neonSet is the NEON kernels (type_x_arm64.go files add theirs with
// registerNEON). A type without them, and attention and softmax, use the
// plain twins. Each NEON kernel keeps the float order of the amd64 kernel
// of the same type (llama.cpp's x86 order), so arm64 and amd64 give the
// same bits.
var neonSet = &kernelSet{
	name:          "neon+dotprod",
	dotF32GGML512: dotF32GGML512Plain,
	scoresGGML:    scoresGGMLPlain,
	wsumLanes:     wsumLanesPlain,
	expSub:        expSubPlain,
}

// registerNEON sets weight type t's kernels in the NEON set; call it from
// the type's arm64 file's init.
func registerNEON(t gguf.Type, k rowKernels) {
	if int(t) >= maxTypes || k.dot == nil {
		panic(fmt.Sprintf("tensor: bad NEON kernels for %s", t))
	}
	neonSet.rows[t] = k
}

// useFast points the kernels at the NEON set where the CPU has SDOT;
// BURROW_KERNELS=plain holds it to the Go twins.
func useFast() {
	if os.Getenv("BURROW_KERNELS") == "plain" || !haveSDOT {
		usePlain()
		return
	}
	use(neonSet)
}

// expSubAsm has no assembly here; vectorExp stays false so it is not called.
func expSubAsm(x []float32, m float32) { expSubPlain(x, m) }

// The F16 attention kernels have no assembly here; f16AttFast stays false.
func scoresF16Fast(out []float32, k []uint16, stride int, q []uint16, scale float32) {
	scoresF16Plain(out, k, stride, q, scale)
}

func madF16Fast(acc []float32, v []uint16, stride int, ms, vs []float32) {
	madF16Plain(acc, v, stride, ms, vs)
}
