package tensor

import (
	"fmt"
	"os"

	"golang.org/x/sys/cpu"

	"burrow/inference/gguf"
)

//go:noescape
func dotF32GGML512AVX2(x, y *float32, n int) float32

//go:noescape
func dotsF32GGML512AVX2(k *float32, kstride int, q *float32, n, npos int, out *float32, scale float32)

//go:noescape
func scores8F32AVX2(k *float32, kstride int, q *float32, n, nblk int, out *float32, scale float32)

//go:noescape
func scores8F16AVX2(k *uint16, kstride int, q *uint16, n, nblk int, out *float32, scale float32)

//go:noescape
func wsumLanesAVX2(lanes, v *float32, vstride int, w *float32, npos, ncols int)

//go:noescape
func expSubAVX2(x *float32, n int, m float32)

// haveAVX2 reports whether the assembly kernels can run here: AVX2 with
// FMA and F16C, and an OS that saves the YMM registers (cpu checks that).
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// haveVNNI adds AVX-512 VNNI on 256-bit registers (VL), with an OS that
// saves the AVX-512 state (cpu checks that too).
var haveVNNI = haveAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

func init() {
	if haveAVX2 {
		useFast()
	}
}

// fastSet is the assembly kernels (AVX2, FMA, F16C). Weight types add their
// row kernels with registerFast from their own amd64 files; a type without
// them uses its plain kernels.
var fastSet = &kernelSet{
	name:          "avx2",
	dotF32GGML512: dotF32GGML512Fast,
	scoresGGML:    scoresGGMLFast,
	wsumLanes:     wsumLanesChains,
	expSub:        expSubFast,
	vectorExp:     true,
	f16AttFast:    true,
}

// vnniSet is fastSet with the kernels that VNNI's VPDPBUSD makes shorter
// (registerVNNI); every other kernel is fastSet's. Its results equal
// fastSet's bit for bit: only exact integer sums change instructions.
var vnniSet = &kernelSet{
	name:          "avx2+avx512vnni",
	base:          fastSet,
	dotF32GGML512: fastSet.dotF32GGML512,
	scoresGGML:    fastSet.scoresGGML,
	wsumLanes:     fastSet.wsumLanes,
	expSub:        fastSet.expSub,
	vectorExp:     fastSet.vectorExp,
	f16AttFast:    fastSet.f16AttFast,
}

// registerFast sets weight type t's kernels in the fast set; call it from
// the type's amd64 file's init.
func registerFast(t gguf.Type, k rowKernels) {
	if int(t) >= maxTypes || k.dot == nil {
		panic(fmt.Sprintf("tensor: bad fast kernels for %s", t))
	}
	fastSet.rows[t] = k
}

// registerVNNI sets weight type t's kernels in the VNNI set.
func registerVNNI(t gguf.Type, k rowKernels) {
	if int(t) >= maxTypes || k.dot == nil {
		panic(fmt.Sprintf("tensor: bad VNNI kernels for %s", t))
	}
	vnniSet.rows[t] = k
}

// useFast points the kernels at the best assembly this CPU runs;
// usePlain back at the Go twins. BURROW_KERNELS=avx2 or =plain holds a
// machine to a lesser set, so benchmarks can compare sets in one run.
func useFast() {
	switch os.Getenv("BURROW_KERNELS") {
	case "plain":
		usePlain()
	case "avx2":
		use(fastSet)
	default:
		if haveVNNI {
			use(vnniSet)
		} else {
			use(fastSet)
		}
	}
}

func dotF32GGML512Fast(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	if np := len(x) &^ 63; np > 0 {
		s = dotF32GGML512AVX2(&x[0], &y[0], np)
	}
	return f32GGML512Tail(x, y, s)
}

func scoresGGMLFast(out, k []float32, stride int, q []float32, scale float32) {
	n := len(q)
	if n == 0 || n%64 != 0 || len(out) == 0 {
		scoresGGMLPlain(out, k, stride, q, scale)
		return
	}
	_ = k[(len(out)-1)*stride+n-1]
	nb := len(out) / 8
	if nb > 0 {
		scores8F32AVX2(&k[0], 4*stride, &q[0], n, nb, &out[0], scale)
	}
	if r := 8 * nb; r < len(out) {
		dotsF32GGML512AVX2(&k[r*stride], 4*stride, &q[0], n, len(out)-r, &out[r], scale)
	}
}

func wsumLanesFast(lanes, v []float32, stride int, w []float32) {
	hd := len(lanes) / 16
	if hd == 0 || hd%8 != 0 || len(w) == 0 {
		wsumLanesPlain(lanes, v, stride, w)
		return
	}
	_ = v[(len(w)-1)*stride+hd-1]
	wsumLanesAVX2(&lanes[0], &v[0], 4*stride, &w[0], len(w), hd)
}

// expSubAsm is expSubFast called directly, so buffers passed to it can stay
// on the stack.
func expSubAsm(x []float32, m float32) { expSubFast(x, m) }

func expSubFast(x []float32, m float32) {
	n := len(x) &^ 7
	if n > 0 {
		expSubAVX2(&x[0], n, m)
	}
	for i := n; i < len(x); i++ {
		x[i] = expV(x[i] - m)
	}
}

//go:noescape
func dotsF16GGML512AVX2(k *uint16, kstride int, q *uint16, n, npos int, out *float32, scale float32)

//go:noescape
func madF16AVX2(acc *float32, v *uint16, vstride int, ms, vs *float32, npos, ncols int)

func scoresF16Fast(out []float32, k []uint16, stride int, q []uint16, scale float32) {
	n := len(q)
	if n == 0 || n%64 != 0 || len(out) == 0 {
		scoresF16Plain(out, k, stride, q, scale)
		return
	}
	_ = k[(len(out)-1)*stride+n-1]
	nb := len(out) / 8
	if n > 512 {
		nb = 0 // the kernel widens the query into a 512-value frame
	}
	if nb > 0 {
		scores8F16AVX2(&k[0], 2*stride, &q[0], n, nb, &out[0], scale)
	}
	if r := 8 * nb; r < len(out) {
		dotsF16GGML512AVX2(&k[r*stride], 2*stride, &q[0], n, len(out)-r, &out[r], scale)
	}
}

func madF16Fast(acc []float32, v []uint16, stride int, ms, vs []float32) {
	hd := len(acc)
	if hd == 0 || hd%8 != 0 || len(vs) == 0 {
		madF16Plain(acc, v, stride, ms, vs)
		return
	}
	_ = ms[len(vs)-1]
	_ = v[(len(vs)-1)*stride+hd-1]
	madF16AVX2(&acc[0], &v[0], 2*stride, &ms[0], &vs[0], len(vs), hd)
}
