package tensor

// The kernel table: every entry starts as the plain Go twin and useFast
// (dot_amd64.go) points it at assembly when the CPU has AVX2, FMA and F16C.
// Tests and benchmarks switch sets with usePlain/useFast.

var (
	dotQ8_0    = dotQ8_0Plain
	dotF16     = dotF16GGML512Plain
	dotF32     = dotF32GGML512Plain
	dotF32Tile = dotF32L16Plain
	dotF16F32  = dotF16F32L16Plain

	dotF32GGML512 = dotF32GGML512Plain
	scoresGGML    = scoresGGMLPlain
	wsumLanes     = wsumLanesPlain
	expSub        = expSubPlain
	vectorExp     = false // expSubAsm may be called directly
	mulQ8_0       = mulQ8_0Plain
	f16AttFast    = false // attendF16Blocks calls the *Fast kernels directly
	mulQ8_0x4     = mulQ8_0x4Plain
	mulQ8_0x2x4   = mulQ8_0x2x4Plain

	fastKernels = "plain" // which set is in use, for benchmarks and reports
)

// usePlain points the kernels at the Go twins (tests and benchmarks).
func usePlain() {
	dotQ8_0, dotF16, dotF32 = dotQ8_0Plain, dotF16GGML512Plain, dotF32GGML512Plain
	dotF32Tile, dotF16F32 = dotF32L16Plain, dotF16F32L16Plain
	dotF32GGML512, scoresGGML, wsumLanes = dotF32GGML512Plain, scoresGGMLPlain, wsumLanesPlain
	expSub, vectorExp = expSubPlain, false
	mulQ8_0, mulQ8_0x4, mulQ8_0x2x4 = mulQ8_0Plain, mulQ8_0x4Plain, mulQ8_0x2x4Plain
	f16AttFast = false
	fastKernels = "plain"
}

// Kernels names the dot-product kernels in use: "avx2" or "plain".
func Kernels() string { return fastKernels }
