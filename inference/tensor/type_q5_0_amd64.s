#include "textflag.h"
#include "legacy_amd64.h"

// func dotQ5_0AVX2(w, x *byte, nb int) float32
// llama.cpp's AVX2 ggml_vec_dot_q5_0_q8_0; dotQ5_0Plain is its Go model.
// The high bit clear ORs in 0xF0, which makes the int8 q-16.
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0xF0F0F0F0, AX, X6, Y6)
	LQBCAST32($0x00010001, AX, X5, Y5)
	LQBITSCONST

loop:
	LQF16MUL((SI), (DI))
	LQNIBBLES(6(SI), X2, Y2)
	LQBITS(2(SI), Y11)
	VPANDN  Y6, Y11, Y11
	VPOR    Y11, Y2, Y2
	VMOVDQU 2(DI), Y3
	LQSIGNEDDOT(Y2, Y3)
	VFMADD231PS Y3, Y1, Y0
	ADDQ $22, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  loop

	LQHSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
