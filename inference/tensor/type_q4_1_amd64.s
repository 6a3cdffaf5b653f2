#include "textflag.h"
#include "legacy_amd64.h"

// LQMINTERM adds F16(m at moff(SI)) * F16(s at 2(DI)) into X6 with one
// rounding (the scalar m*s sum of ggml_vec_dot_q4_1_q8_1). Clobbers AX,
// X1, X2.
#define LQMINTERM(moff, sum) \
	MOVWLZX     moff(SI), AX \
	VMOVD       AX, X1 \
	VCVTPH2PS   X1, X1 \
	MOVWLZX     2(DI), AX \
	VMOVD       AX, X2 \
	VCVTPH2PS   X2, X2 \
	VFMADD231SS X2, X1, sum

// func dotQ4_1AVX2(w, x *byte, nb int) float32
// llama.cpp's x86 ggml_vec_dot_q4_1_q8_1; dotQ4_1Plain is its Go model.
// Unsigned quants times signed activations: maddubs pairs cannot saturate
// (15*128*2 < 2^15), so these lanes equal the VNNI build's VPDPBUSD.
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X6, X6, X6
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0x00010001, AX, X5, Y5)

loop:
	LQMINTERM(2, X6)
	LQF16MUL((SI), (DI))
	LQNIBBLES(4(SI), X2, Y2)
	VMOVDQU    4(DI), Y3
	VPMADDUBSW Y3, Y2, Y3
	VPMADDWD   Y5, Y3, Y3
	VCVTDQ2PS  Y3, Y3
	VFMADD231PS Y3, Y1, Y0
	ADDQ $20, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  loop

	LQHSUM8
	VADDSS X6, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
