#include "textflag.h"
#include "hsum_amd64.h"

// Q8_0's kernels (q8_0_amd64.h) for AVX2: products of |w| and sign-moved
// activations as int16 pairs (VPMADDUBSW, which cannot saturate here: |w|
// <= 128, |a| <= 127), then int32 pairs with a vector of ones.
#define Q8DOT ·dotQ8_0AVX2
#define Q8DOTS ·dotQ8_0SAVX2
#define Q8DOTX4 ·dotQ8_0x4SAVX2
#define Q8DOTX2X4 ·dotQ8_0x2x4SAVX2
#define I8DOTINIT VPCMPEQW Y15, Y15, Y15; VPSRLW $15, Y15, Y15
#define I8DOTPS(s, u, d) VPMADDUBSW s, u, d; VPMADDWD Y15, d, d; VCVTDQ2PS d, d
#include "q8_0_amd64.h"
#undef Q8DOT
#undef Q8DOTS
#undef Q8DOTX4
#undef Q8DOTX2X4
#undef I8DOTINIT
#undef I8DOTPS

// The same for AVX-512 VNNI with VL: one VPDPBUSD into a zeroed Y16 does
// both steps (llama.cpp's mul_sum_us8_pairs_float on such CPUs).
#define Q8DOT ·dotQ8_0VNNI
#define Q8DOTS ·dotQ8_0SVNNI
#define Q8DOTX4 ·dotQ8_0x4SVNNI
#define Q8DOTX2X4 ·dotQ8_0x2x4SVNNI
#define I8DOTINIT
#define I8DOTPS(s, u, d) VPXORD Y16, Y16, Y16; VPDPBUSD s, u, Y16; VCVTDQ2PS Y16, d
#include "q8_0_amd64.h"
