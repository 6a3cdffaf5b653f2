#include "textflag.h"
#include "legacy_amd64.h"

// dotMXFP4Plain's order: per block an exact int32 dot, then scalar
// d = F16(x) * e8m0Half(w), p = d * float32(dot), sum += p (no FMA).
// The codes look up kvalues_mxfp4 + 12 (0..24, unsigned) with VPSHUFB, so
// VPMADDUBSW against the int8 quants never saturates, and subtracting
// VPMADDUBSW of 12s takes the offset back off exactly; this stays right
// for a quant of -128, where llama.cpp's VPSIGNB trick would not.

// MXCONST loads Y7 = 0x0F bytes, Y6 = the offset table in both lanes,
// Y8 = 12 bytes, Y5 = int16 ones. Clobbers AX.
#define MXCONST \
	LQBCAST32($0x0F0F0F0F, AX, X7, Y7) \
	LQBCAST32($0x0C0C0C0C, AX, X8, Y8) \
	LQBCAST32($0x00010001, AX, X5, Y5) \
	MOVQ         $0x181412100F0E0D0C, AX \
	VMOVQ        AX, X6 \
	MOVQ         $0x00040608090A0B0C, AX \
	VMOVQ        AX, X9 \
	VPUNPCKLQDQ  X9, X6, X6 \
	VINSERTI128  $1, X6, Y6, Y6

// MXCODES(mem) leaves the 32 offset values of the block's codes at mem in
// Y2 (low nibbles the first 16). Clobbers X3.
#define MXCODES(mem) \
	VMOVDQU     mem, X2 \
	VPSRLW      $4, X2, X3 \
	VINSERTI128 $1, X3, Y2, Y2 \
	VPAND       Y7, Y2, Y2 \
	VPSHUFB     Y2, Y6, Y2

// MXE8M0(mem) leaves e8m0Half of the byte at mem in X15. Clobbers AX, BX, R9.
#define MXE8M0(mem) \
	MOVBLZX mem, AX \
	LEAL    -1(AX), BX \
	SHLL    $23, BX \
	LEAL    1(AX), R9 \
	SHLL    $21, R9 \
	CMPL    AX, $2 \
	CMOVLCS R9, BX \
	VMOVD   BX, X15

// MXROW(dmem, qmem, Xacc): one input row against the codes in Y2 and the
// weight scale in X15: Xacc += (F16(dmem) * X15) * float32(dot). Clobbers
// AX, X1, X3, X4.
#define MXROW(dmem, qmem, Xacc) \
	VMOVDQU      qmem, Y3 \
	VPMADDUBSW   Y3, Y2, Y4 \
	VPMADDUBSW   Y3, Y8, Y3 \
	VPSUBW       Y3, Y4, Y4 \
	VPMADDWD     Y5, Y4, Y4 \
	VEXTRACTI128 $1, Y4, X3 \
	VPADDD       X3, X4, X4 \
	VPSHUFD      $0x4E, X4, X3 \
	VPADDD       X3, X4, X4 \
	VPSHUFD      $0xB1, X4, X3 \
	VPADDD       X3, X4, X4 \
	VCVTDQ2PS    X4, X4 \
	MOVWLZX      dmem, AX \
	VMOVD        AX, X1 \
	VCVTPH2PS    X1, X1 \
	VMULSS       X15, X1, X1 \
	VMULSS       X4, X1, X1 \
	VADDSS       X1, Xacc, Xacc

// func dotMXFP4AVX2(w, x *byte, nb int) float32
TEXT ·dotMXFP4AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS X0, X0, X0
	MXCONST

loop:
	MXE8M0((SI))
	MXCODES(1(SI))
	MXROW((DI), 2(DI), X0)
	ADDQ $17, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  loop

	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotMXFP4x4AVX2(w, x *byte, stride, nb int, out *[4]float32)
// Weight row w against input rows x, x+stride, x+2*stride, x+3*stride:
// each weight block is looked up once for the four, each row's sum is
// computed as in dotMXFP4AVX2.
TEXT ·dotMXFP4x4AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(DX*2), R8
	VXORPS X0, X0, X0
	VXORPS X12, X12, X12
	VXORPS X13, X13, X13
	VXORPS X14, X14, X14
	MXCONST

x4loop:
	MXE8M0((SI))
	MXCODES(1(SI))
	MXROW((DI), 2(DI), X0)
	MXROW((DI)(DX*1), 2(DI)(DX*1), X12)
	MXROW((R8), 2(R8), X13)
	MXROW((R8)(DX*1), 2(R8)(DX*1), X14)
	ADDQ $17, SI
	ADDQ $34, DI
	ADDQ $34, R8
	DECQ CX
	JNZ  x4loop

	MOVQ out+32(FP), DI
	MOVSS X0, 0(DI)
	MOVSS X12, 4(DI)
	MOVSS X13, 8(DI)
	MOVSS X14, 12(DI)
	VZEROUPPER
	RET
