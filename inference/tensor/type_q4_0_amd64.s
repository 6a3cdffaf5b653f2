#include "textflag.h"
#include "legacy_amd64.h"

// func dotQ4_0AVX2(w, x *byte, nb int) float32
// llama.cpp's AVX2 ggml_vec_dot_q4_0_q8_0; dotQ4_0Plain is its Go model.
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0x08080808, AX, X6, Y6)
	LQBCAST32($0x00010001, AX, X5, Y5)

loop:
	LQF16MUL((SI), (DI))
	LQNIBBLES(2(SI), X2, Y2)
	VPSUBB  Y6, Y2, Y2
	VMOVDQU 2(DI), Y3
	LQSIGNEDDOT(Y2, Y3)
	VFMADD231PS Y3, Y1, Y0
	ADDQ $18, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  loop

	LQHSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
