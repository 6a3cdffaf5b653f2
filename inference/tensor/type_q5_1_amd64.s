#include "textflag.h"
#include "legacy_amd64.h"

// As LQMINTERM in type_q4_1_amd64.s.
#define LQMINTERM5(moff, sum) \
	MOVWLZX     moff(SI), AX \
	VMOVD       AX, X1 \
	VCVTPH2PS   X1, X1 \
	MOVWLZX     2(DI), AX \
	VMOVD       AX, X2 \
	VCVTPH2PS   X2, X2 \
	VFMADD231SS X2, X1, sum

// func dotQ5_1AVX2(w, x *byte, nb int) float32
// llama.cpp's x86 ggml_vec_dot_q5_1_q8_1; dotQ5_1Plain is its Go model.
// The high bits become 0x10 where set; pairs of 31*128 cannot saturate.
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X12, X12, X12
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0x10101010, AX, X6, Y6)
	LQBCAST32($0x00010001, AX, X5, Y5)
	LQBITSCONST

loop:
	LQMINTERM5(2, X12)
	LQF16MUL((SI), (DI))
	LQNIBBLES(8(SI), X2, Y2)
	LQBITS(4(SI), Y11)
	VPAND      Y6, Y11, Y11
	VPOR       Y11, Y2, Y2
	VMOVDQU    4(DI), Y3
	VPMADDUBSW Y3, Y2, Y3
	VPMADDWD   Y5, Y3, Y3
	VCVTDQ2PS  Y3, Y3
	VFMADD231PS Y3, Y1, Y0
	ADDQ $24, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  loop

	LQHSUM8
	VADDSS X12, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
