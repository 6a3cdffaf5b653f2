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

// One input row of the four-row tile: Y2 holds the block's signed quants,
// Y4 their magnitudes, X15 the weight block's scale; qmem/dmem are this
// row's quants and F16 scale. Every value is computed as in dotQ5_0AVX2.
#define Q5ROW(dmem, qmem, Yacc) \
	MOVWLZX      dmem, AX \
	VMOVD        AX, X1 \
	VCVTPH2PS    X1, X1 \
	VMULSS       X1, X15, X1 \
	VBROADCASTSS X1, Y1 \
	VMOVDQU      qmem, Y3 \
	VPSIGNB      Y2, Y3, Y3 \
	VPMADDUBSW   Y3, Y4, Y3 \
	VPMADDWD     Y5, Y3, Y3 \
	VCVTDQ2PS    Y3, Y3 \
	VFMADD231PS  Y3, Y1, Yacc

// func dotQ5_0x4AVX2(w, x *byte, stride, nb int, out *[4]float32)
// Weight row w against input rows x, x+stride, x+2*stride, x+3*stride (the
// prompt's tile): each weight block is unpacked once for the four.
TEXT ·dotQ5_0x4AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(DX*2), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0xF0F0F0F0, AX, X6, Y6)
	LQBCAST32($0x00010001, AX, X5, Y5)
	LQBITSCONST

x4loop:
	MOVWLZX   (SI), AX
	VMOVD     AX, X15
	VCVTPH2PS X15, X15
	LQNIBBLES(6(SI), X2, Y2)
	LQBITS(2(SI), Y11)
	VPANDN  Y6, Y11, Y11
	VPOR    Y11, Y2, Y2
	VPSIGNB Y2, Y2, Y4
	Q5ROW((DI), 2(DI), Y0)
	Q5ROW((DI)(DX*1), 2(DI)(DX*1), Y12)
	Q5ROW((R8), 2(R8), Y13)
	Q5ROW((R8)(DX*1), 2(R8)(DX*1), Y14)
	ADDQ $22, SI
	ADDQ $34, DI
	ADDQ $34, R8
	DECQ CX
	JNZ  x4loop

	MOVQ out+32(FP), DI
	LQHSUM8
	MOVSS X0, 0(DI)
	VMOVAPS Y12, Y0
	LQHSUM8
	MOVSS X0, 4(DI)
	VMOVAPS Y13, Y0
	LQHSUM8
	MOVSS X0, 8(DI)
	VMOVAPS Y14, Y0
	LQHSUM8
	MOVSS X0, 12(DI)
	VZEROUPPER
	RET
