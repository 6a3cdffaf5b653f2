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

// func dotQ4_0SeqAVX2(w, x *byte, nb int) float32
// The repacked order (dotQ4_0SeqPlain): per block the exact sum of (q-8)*y
// as sum(q*y) - 8*sum(y), both by maddubs of an unsigned operand (exact on
// any bytes), then one scalar FMA into the running float32.
TEXT ·dotQ4_0SeqAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS X0, X0, X0
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7)
	LQBCAST32($0x08080808, AX, X6, Y6)
	LQBCAST32($0x00010001, AX, X5, Y5)

seqloop:
	LQF16MUL((SI), (DI))
	LQNIBBLES(2(SI), X2, Y2)
	VMOVDQU    2(DI), Y3
	VPMADDUBSW Y3, Y2, Y2 // q*y pairs
	VPMADDUBSW Y3, Y6, Y3 // 8*y pairs
	VPMADDWD   Y5, Y2, Y2
	VPMADDWD   Y5, Y3, Y3
	VPSUBD     Y3, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPADDD     X3, X2, X2
	VPSHUFD    $0x4e, X2, X3
	VPADDD     X3, X2, X2
	VPSHUFD    $0xb1, X2, X3
	VPADDD     X3, X2, X2
	VCVTDQ2PS  X2, X2
	VFMADD231SS X1, X2, X0 // acc += sum * d
	ADDQ $18, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  seqloop

	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
