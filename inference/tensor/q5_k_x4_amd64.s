#include "textflag.h"

// dotQ5_Kx4AVX2 dots nb Q5_K superblocks of one weight row with four Q8_K
// rows, decoding each weight chunk once for the four. Each row's arithmetic
// is dotQ5_KAVX2's, so out[r] equals dotQ5_KPlain(w, row r) bit for bit.
// Stack: the four 8-lane accumulators at 0..127, the four scalar mins sums
// at 128..143, x.d at 144, x.dmin at 148.

DATA k5x4shuf<>+0(SB)/8, $0x8000800080008000
DATA k5x4shuf<>+8(SB)/8, $0x8000800080008000
DATA k5x4shuf<>+16(SB)/8, $0x8000800080008000
DATA k5x4shuf<>+24(SB)/8, $0x8000800080008000
DATA k5x4shuf<>+32(SB)/8, $0x8001800180018001
DATA k5x4shuf<>+40(SB)/8, $0x8001800180018001
DATA k5x4shuf<>+48(SB)/8, $0x8001800180018001
DATA k5x4shuf<>+56(SB)/8, $0x8001800180018001
DATA k5x4shuf<>+64(SB)/8, $0x8002800280028002
DATA k5x4shuf<>+72(SB)/8, $0x8002800280028002
DATA k5x4shuf<>+80(SB)/8, $0x8002800280028002
DATA k5x4shuf<>+88(SB)/8, $0x8002800280028002
DATA k5x4shuf<>+96(SB)/8, $0x8003800380038003
DATA k5x4shuf<>+104(SB)/8, $0x8003800380038003
DATA k5x4shuf<>+112(SB)/8, $0x8003800380038003
DATA k5x4shuf<>+120(SB)/8, $0x8003800380038003
DATA k5x4shuf<>+128(SB)/8, $0x8004800480048004
DATA k5x4shuf<>+136(SB)/8, $0x8004800480048004
DATA k5x4shuf<>+144(SB)/8, $0x8004800480048004
DATA k5x4shuf<>+152(SB)/8, $0x8004800480048004
DATA k5x4shuf<>+160(SB)/8, $0x8005800580058005
DATA k5x4shuf<>+168(SB)/8, $0x8005800580058005
DATA k5x4shuf<>+176(SB)/8, $0x8005800580058005
DATA k5x4shuf<>+184(SB)/8, $0x8005800580058005
DATA k5x4shuf<>+192(SB)/8, $0x8006800680068006
DATA k5x4shuf<>+200(SB)/8, $0x8006800680068006
DATA k5x4shuf<>+208(SB)/8, $0x8006800680068006
DATA k5x4shuf<>+216(SB)/8, $0x8006800680068006
DATA k5x4shuf<>+224(SB)/8, $0x8007800780078007
DATA k5x4shuf<>+232(SB)/8, $0x8007800780078007
DATA k5x4shuf<>+240(SB)/8, $0x8007800780078007
DATA k5x4shuf<>+248(SB)/8, $0x8007800780078007
GLOBL k5x4shuf<>(SB), RODATA|NOPTR, $256

// K4SCALES: see q4_k_amd64.s (scales to R8, mins to R12; clobbers R9-R11, R13).
#define K4SCALES \
	MOVL 4(SI), R8 \
	MOVL 8(SI), R9 \
	MOVL 12(SI), R10 \
	MOVL R10, R11 \
	SHRL $4, R11 \
	ANDL $0x0f0f0f0f, R11 \
	MOVL R9, R12 \
	SHRL $6, R12 \
	ANDL $0x03030303, R12 \
	SHLL $4, R12 \
	ORL  R12, R11 \
	MOVL R9, R12 \
	ANDL $0x3f3f3f3f, R12 \
	ANDL $0x0f0f0f0f, R10 \
	MOVL R8, R13 \
	SHRL $6, R13 \
	ANDL $0x03030303, R13 \
	SHLL $4, R13 \
	ORL  R13, R10 \
	ANDL $0x3f3f3f3f, R8 \
	SHLQ $32, R10 \
	ORQ  R10, R8 \
	SHLQ $32, R11 \
	ORQ  R11, R12

// MINS5: row p's mins (X6 int16) against its group sums, summed to one
// integer, then summs at moff(SP) += -(y.d*x.dmin) * it.
#define MINS5(p, moff) \
	VMOVDQU      260(p), X13 \
	VMOVDQU      276(p), X14 \
	VPHADDW      X14, X13, X13 \
	VPMADDWD     X6, X13, X13 \
	VPSHUFD      $0x4e, X13, X14 \
	VPADDD       X14, X13, X13 \
	VPSHUFD      $0xb1, X13, X14 \
	VPADDD       X14, X13, X13 \
	VCVTDQ2PS    X13, X13 \
	VMOVSS       (p), X14 \
	VMULSS       148(SP), X14, X14 \
	VMOVSS       moff(SP), X7 \
	VFNMADD231SS X13, X14, X7 \
	VMOVSS       X7, moff(SP)

#define ROW5(p, yoff, s) \
	VPMADDUBSW yoff(p), Y9, Y13 \
	VPMADDUBSW 32+yoff(p), Y10, Y14 \
	VPMADDWD   Y11, Y13, Y13 \
	VPMADDWD   Y12, Y14, Y14 \
	VPADDD     Y14, Y13, Y13 \
	VPADDD     Y13, s, s

// CHUNK5: see Q5CHUNK in q5_k_amd64.s (qh in Y4, 0x10 in Y5).
#define CHUNK5(qoff, yoff, soff, op0, n0, op1, n1) \
	VMOVDQU  qoff(SI), Y10 \
	VPAND    Y15, Y10, Y9 \
	VPSRLW   $4, Y10, Y10 \
	VPAND    Y15, Y10, Y10 \
	op0      $n0, Y4, Y11 \
	op1      $n1, Y4, Y12 \
	VPAND    Y5, Y11, Y11 \
	VPAND    Y5, Y12, Y12 \
	VPOR     Y11, Y9, Y9 \
	VPOR     Y12, Y10, Y10 \
	VPSHUFB  k5x4shuf<>+soff(SB), Y8, Y11 \
	VPSHUFB  k5x4shuf<>+32+soff(SB), Y8, Y12 \
	ROW5(DI, yoff, Y0) \
	ROW5(AX, yoff, Y1) \
	ROW5(DX, yoff, Y2) \
	ROW5(BX, yoff, Y3)

// ACC5: acc at aoff(SP) += (y.d * x.d) * float(s) for row p.
#define ACC5(p, s, aoff) \
	VMOVSS       (p), X13 \
	VMULSS       144(SP), X13, X13 \
	VBROADCASTSS X13, Y13 \
	VCVTDQ2PS    s, s \
	VMOVUPS      aoff(SP), Y14 \
	VFMADD231PS  s, Y13, Y14 \
	VMOVUPS      Y14, aoff(SP)

// OUT5 stores hsum(acc at aoff) + summs at moff to ooff(R8).
#define OUT5(aoff, moff, ooff) \
	VMOVUPS      aoff(SP), Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1 \
	VADDSS       X1, X0, X0 \
	VADDSS       moff(SP), X0, X0 \
	MOVSS        X0, ooff(R8)

// func dotQ5_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)
TEXT ·dotQ5_Kx4AVX2(SB), NOSPLIT, $160-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R9
	MOVQ nb+24(FP), CX
	// Rows: DI = 0, AX = 1, DX = 2, BX = 3.
	LEAQ (DI)(R9*1), AX
	LEAQ (DI)(R9*2), DX
	LEAQ (DX)(R9*1), BX
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, 0(SP)
	VMOVUPS Y0, 32(SP)
	VMOVUPS Y0, 64(SP)
	VMOVUPS Y0, 96(SP)
	VMOVUPS X0, 128(SP)
	MOVL   $0x0f0f0f0f, R9
	VMOVD  R9, X15
	VPBROADCASTD X15, Y15
	MOVL   $0x10101010, R9
	VMOVD  R9, X5
	VPBROADCASTD X5, Y5
	TESTQ  CX, CX
	JLE    q5x4done

q5x4loop:
	MOVWLZX   (SI), R9
	MOVWLZX   2(SI), R10
	VMOVD     R9, X13
	VMOVD     R10, X14
	VCVTPH2PS X13, X13
	VCVTPH2PS X14, X14
	VMOVSS    X13, 144(SP)
	VMOVSS    X14, 148(SP)

	K4SCALES
	VMOVQ        R8, X8
	VPBROADCASTQ X8, Y8
	VMOVQ        R12, X6
	VPMOVZXBW    X6, X6

	MINS5(DI, 128)
	MINS5(AX, 132)
	MINS5(DX, 136)
	MINS5(BX, 140)

	VMOVDQU 16(SI), Y4
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	CHUNK5(48, 4, 0, VPSLLW, 4, VPSLLW, 3)
	CHUNK5(80, 68, 64, VPSLLW, 2, VPSLLW, 1)
	CHUNK5(112, 132, 128, VPSRLW, 0, VPSRLW, 1)
	CHUNK5(144, 196, 192, VPSRLW, 2, VPSRLW, 3)

	ACC5(DI, Y0, 0)
	ACC5(AX, Y1, 32)
	ACC5(DX, Y2, 64)
	ACC5(BX, Y3, 96)

	ADDQ $176, SI
	ADDQ $292, DI
	ADDQ $292, AX
	ADDQ $292, DX
	ADDQ $292, BX
	DECQ CX
	JNZ  q5x4loop

q5x4done:
	MOVQ out+32(FP), R8
	OUT5(0, 128, 0)
	OUT5(32, 132, 4)
	OUT5(64, 136, 8)
	OUT5(96, 140, 12)
	VZEROUPPER
	RET
