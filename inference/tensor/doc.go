// Package tensor holds the numeric kernels of Burrow's engine: element-type
// conversion (F16, BF16), Q8_0 quantization, dequantization, matrix
// multiplication over weights mapped straight from a GGUF file, RMSNorm, RoPE,
// softmax, SwiGLU, attention, and the worker pool that spreads them across cores.
//
// The kernels follow ggml's arithmetic (llama.cpp's CPU backend) so that a model
// run here gives the same tokens as llama.cpp on the same file: activations are
// quantized to Q8_0 for Q8_0 weights and rounded to F16/BF16 for F16/BF16 weights,
// and sums that ggml accumulates in double are accumulated in float64 here too.
//
// Every fast kernel has a plain Go twin; the tests hold them equal.
package tensor
