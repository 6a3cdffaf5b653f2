// Package tensor holds the numeric kernels of Burrow's engine: element-type
// conversion (F16, BF16), Q8_0 quantization, dequantization, matrix
// multiplication over weights mapped straight from a GGUF file, RMSNorm, RoPE,
// softmax, SwiGLU, attention, and the worker pool that spreads them across cores.
//
// # Following llama.cpp
//
// The arithmetic is ggml's (llama.cpp's CPU backend), so a model run here gives
// the same tokens as llama.cpp on the same file:
//
//   - Q8_0 weights: the input row is quantized to Q8_0 once (Activations) and
//     each block pair gives an exact integer dot, scaled by both block scales.
//     The AVX2 kernels accumulate in the same order as llama.cpp's x86 code
//     (ggml_vec_dot_q8_0_q8_0 for one row, tinyBLAS for batches), so their
//     results are bit-identical to it; TestMulQ8_0 holds them to a Go model of
//     that order.
//     The input is quantized as llama.cpp's x86 quantize_row_q8_0 does
//     (127/max, ties to even); QuantizeQ8_0 is the reference quantizer that
//     llama-quantize uses for files. This Q8_0 arithmetic is the same in
//     llama.cpp's AVX2 and AVX-512 builds.
//   - F16 weights: one input row is rounded to F16 (ggml_vec_dot_f16); batches
//     with rows a multiple of 16 read the float32 input (tinyBLAS). F32
//     weights likewise use ggml_vec_dot_f32's order for one row and
//     tinyBLAS's for batches. All follow the AVX-512 build that made the
//     shared references (16-lane accumulators, emulated with pairs of AVX2
//     registers; leftovers as ggml adds them), so results are bit-identical
//     to it: one F16 ffn_down summed in the AVX2 order moved a q8_0 logit by
//     0.1.
//   - Legacy 32-blocks: Q4_0, Q5_0, IQ4_NL multiply the Q8_0 form, Q4_1
//     and Q5_1 the Q8_1 form (whose F16 s = d*sum(q) meets the weights'
//     min in a separate scalar FMA sum), in the lane order of llama.cpp's
//     x86 vec_dot. Q4_0 matrices with rows a multiple of 8 follow the
//     repacked q4_0_8x8 gemv/gemm instead (one FMA per block into one
//     float32), since llama.cpp's CPU backend repacks them.
//   - Q6_K takes its -32 offset off once per superblock from the Q8_K
//     bsums, as the current x86 ggml_vec_dot_q6_K_q8_K does; the lanes
//     (and so the roundings) differ from the per-value form.
//   - SwiGLU and Softmax use ggml_v_expf in groups of 16 as the AVX-512
//     build (the one that made the shared references) does; RMSNorm and the
//     plain dot products sum in float64 where ggml does; RoPE builds its
//     angles by ggml's float32 recurrence.
//
// # Speed
//
// Decoding reads every weight once per token, so MatMul is built to run at
// memory bandwidth: weights stay in the mapping, the input is quantized once
// per Set and shared by all matrices reading it (MatMulMulti fuses Q/K/V or
// gate/up into one dispatch), rows are split across a persistent Pool, and
// nothing allocates per call. Batches (prompt processing) go through a tile
// of two weight rows by four input rows, so each block loaded serves eight
// dot products. On the 2-core test machine a 1B-shaped Q8_0 decode step
// reads its 1.32 GB at about 23 GB/s per two busy cores, the machine's
// bandwidth; prompts are bound by the integer multiply ports (about 1 ns
// per 32-value block pair on a shared core).
//
// Q4_K matrices whose row count is a multiple of 8 are repacked at load
// (q4_k_repack.go), as llama.cpp's CPU repack buffer does on x86: eight
// rows interleaved so that each vector lane is one output row (no
// horizontal sums, scales loaded as vectors), multiplied in llama.cpp's
// gemv order (one input row) and gemm order (four at a time). The copy
// lives in memory from gguf.File.Alloc and the mapped original is released,
// so memory stays about the file's size. Q4_0 and IQ4_NL matrices of rows a
// multiple of 8 are repacked the same way (q4_0_repack.go, block_q4_0x8's
// idea): per block and row one FMA of the exact integer sum, so gemv and
// gemm give the same bits as the file-layout seq order; the Q8_0 form keeps
// each block's 8*sum(y) beside its scale for Q4_0's -8 offset.
//
// Attention over an F16 cache (AttentionF16) is llama.cpp's flash
// attention: scores for 32 positions per assembly call, the online
// softmax in Go, the F16-rounded weighted sum in assembly.
//
// Every fast kernel has a plain Go twin, used on CPUs without AVX2/FMA/F16C
// and held equal to the assembly by the tests and by fuzz targets
// (FuzzDotQ8_0, FuzzDotF16, ...).
//
// On arm64 the neonSet (dot_arm64.go) runs where the CPU has SDOT (ARMv8.2
// dotprod: all Apple Silicon): NEON kernels for Q8_0, F16 and Q6_K, in the
// same float order as the amd64 kernels of those types, so both
// architectures give the same bits; other types and attention use the
// plain twins. Go's arm64 assembler lacks SDOT and most vector float
// instructions, so tools/gen-neon.py writes those .s files with WORD
// encodings. Go fuses a*b+c into one FMA on arm64 (not on amd64): plain
// code that must round the product keeps it in an explicit float32(),
// which the spec says prevents fusion. make test runs the tensor and llama
// tests for GOARCH=arm64 under qemu-user.
//
// # Adding a weight type
//
// Each weight type lives in one file, type_x.go (see type_bf16.go for the
// smallest), whose init calls register(weightType{...}) with: typ (the
// gguf.Type; block size and bytes come from gguf), dequantize, quantize
// (the reference writer, used by the tests' encodeRows), form (the
// activation form it multiplies with: formF32, formF16, formBF16, formQ8_0,
// or a new one) and plain: rowKernels{dot: f}, where
// f(w, x []byte, nb int) float32 dots nb weight blocks with one activation
// row in that form. The generic row loop in matmul.go does the rest; a
// type may set rowKernels.rows for its own loop (tiles, as Q8_0 does) and
// formFor to pick a form by batch shape (as F16 does).
//
// A fast kernel goes in x_amd64.go (+ x_amd64.s), whose init calls
// registerFast(gguf.TypeX, rowKernels{dot: fast}); without it the fast set
// uses the plain kernels. Its twin test, x_test.go, holds fast equal to
// plain bit for bit on random inputs and by a fuzz target; TestMatMul,
// TestKernelsAllocateNothing and the other SupportedTypes loops pick the
// type up by themselves.
//
// A new activation form (Q8_1, Q8_K) is a package variable in its own
// file: var formX = registerForm(formDesc{name, rowBytes, convert, toF32}),
// optionally with float32 side scales (scales, fillScales) as Q8_0 keeps.
// Activations makes each form lazily, once per Set, in a reused buffer.
//
// The kernel sets are values: plainSet (kernels.go), fastSet (AVX2) and
// vnniSet (dot_amd64.go: fastSet plus the kernels AVX-512 VNNI shortens,
// registered with registerVNNI; its results equal fastSet's bit for bit).
// Kernels on 512-bit registers also need AVX-512 BW (haveZMM) and join
// vnniSet only where it is present, as the Q8_0 prompt tiles and the Q5_K
// and Q6_K decode kernels (dotQ5_KRowsZMM, dotQ6_KRowsZMM through
// kqZMMRows) do.
// useFast picks the best set the CPU runs at start-up (BURROW_KERNELS=avx2
// or plain holds it lower, for benchmarks), usePlain switches to the twins,
// and Kernels reports the name. An assembly kernel written once in a .h
// file can be assembled for both sets with different macros, as
// q8_0_amd64.h is.
package tensor
