#include "textflag.h"

// dotQ4_Kx4AVX2 dots nb Q4_K superblocks of one weight row with four Q8_K
// activation rows (a prompt batch), decoding each weight chunk and scale
// once for the four. Each row's arithmetic is dotQ4_KAVX2's, so out[r]
// equals dotQ4_KPlain(w, row r) bit for bit.

DATA k4x4shuf<>+0(SB)/8, $0x8000800080008000
DATA k4x4shuf<>+8(SB)/8, $0x8000800080008000
DATA k4x4shuf<>+16(SB)/8, $0x8000800080008000
DATA k4x4shuf<>+24(SB)/8, $0x8000800080008000
DATA k4x4shuf<>+32(SB)/8, $0x8001800180018001
DATA k4x4shuf<>+40(SB)/8, $0x8001800180018001
DATA k4x4shuf<>+48(SB)/8, $0x8001800180018001
DATA k4x4shuf<>+56(SB)/8, $0x8001800180018001
DATA k4x4shuf<>+64(SB)/8, $0x8002800280028002
DATA k4x4shuf<>+72(SB)/8, $0x8002800280028002
DATA k4x4shuf<>+80(SB)/8, $0x8002800280028002
DATA k4x4shuf<>+88(SB)/8, $0x8002800280028002
DATA k4x4shuf<>+96(SB)/8, $0x8003800380038003
DATA k4x4shuf<>+104(SB)/8, $0x8003800380038003
DATA k4x4shuf<>+112(SB)/8, $0x8003800380038003
DATA k4x4shuf<>+120(SB)/8, $0x8003800380038003
DATA k4x4shuf<>+128(SB)/8, $0x8004800480048004
DATA k4x4shuf<>+136(SB)/8, $0x8004800480048004
DATA k4x4shuf<>+144(SB)/8, $0x8004800480048004
DATA k4x4shuf<>+152(SB)/8, $0x8004800480048004
DATA k4x4shuf<>+160(SB)/8, $0x8005800580058005
DATA k4x4shuf<>+168(SB)/8, $0x8005800580058005
DATA k4x4shuf<>+176(SB)/8, $0x8005800580058005
DATA k4x4shuf<>+184(SB)/8, $0x8005800580058005
DATA k4x4shuf<>+192(SB)/8, $0x8006800680068006
DATA k4x4shuf<>+200(SB)/8, $0x8006800680068006
DATA k4x4shuf<>+208(SB)/8, $0x8006800680068006
DATA k4x4shuf<>+216(SB)/8, $0x8006800680068006
DATA k4x4shuf<>+224(SB)/8, $0x8007800780078007
DATA k4x4shuf<>+232(SB)/8, $0x8007800780078007
DATA k4x4shuf<>+240(SB)/8, $0x8007800780078007
DATA k4x4shuf<>+248(SB)/8, $0x8007800780078007
GLOBL k4x4shuf<>(SB), RODATA|NOPTR, $256

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

// ROWMINS adds row p's mins term into its 4-lane accumulator at moff(SP):
// mins (X12, int16) against the row's group sums, fused with
// -(y.d * x.dmin) (x.dmin at 68(SP)).
#define ROWMINS(p, moff) \
	VMOVDQU      260(p), X13 \
	VMOVDQU      276(p), X14 \
	VPHADDW      X14, X13, X13 \
	VPMADDWD     X12, X13, X13 \
	VCVTDQ2PS    X13, X13 \
	VMOVSS       (p), X14 \
	VMULSS       68(SP), X14, X14 \
	VBROADCASTSS X14, X14 \
	VMOVUPS      moff(SP), X9 \
	VFNMADD231PS X13, X14, X9 \
	VMOVUPS      X9, moff(SP)

// ROWCHUNK: row p's products with the decoded chunk (Y9 low nibbles, Y10
// high, Y11/Y12 their scales) into its sums s.
#define ROWCHUNK(p, yoff, s) \
	VPMADDUBSW yoff(p), Y9, Y13 \
	VPMADDUBSW 32+yoff(p), Y10, Y14 \
	VPMADDWD   Y11, Y13, Y13 \
	VPMADDWD   Y12, Y14, Y14 \
	VPADDD     Y14, Y13, Y13 \
	VPADDD     Y13, s, s

#define CHUNK4(qoff, yoff, soff) \
	VMOVDQU  qoff(SI), Y10 \
	VPAND    Y15, Y10, Y9 \
	VPSRLW   $4, Y10, Y10 \
	VPAND    Y15, Y10, Y10 \
	VPSHUFB  k4x4shuf<>+soff(SB), Y8, Y11 \
	VPSHUFB  k4x4shuf<>+32+soff(SB), Y8, Y12 \
	ROWCHUNK(DI, yoff, Y4) \
	ROWCHUNK(AX, yoff, Y5) \
	ROWCHUNK(DX, yoff, Y6) \
	ROWCHUNK(BX, yoff, Y7)

// ROWACC: acc a += (y.d * x.d) * float(sums s) for row p (x.d at 64(SP)).
#define ROWACC(p, s, a) \
	VMOVSS       (p), X13 \
	VMULSS       64(SP), X13, X13 \
	VBROADCASTSS X13, Y13 \
	VCVTDQ2PS    s, s \
	VFMADD231PS  s, Y13, a

// ROWOUT stores hsum(a) + hsum(mins at moff(SP)) to ooff(R8).
#define ROWOUT(a, xa, moff, ooff) \
	VEXTRACTF128 $1, a, X13 \
	VADDPS       X13, xa, xa \
	VMOVHLPS     xa, xa, X13 \
	VADDPS       X13, xa, xa \
	VMOVSHDUP    xa, X13 \
	VADDSS       X13, xa, xa \
	VMOVUPS      moff(SP), X14 \
	VMOVHLPS     X14, X14, X13 \
	VADDPS       X13, X14, X14 \
	VMOVSHDUP    X14, X13 \
	VADDSS       X13, X14, X14 \
	VADDSS       X14, xa, xa \
	MOVSS        xa, ooff(R8)

// func dotQ4_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)
TEXT ·dotQ4_Kx4AVX2(SB), NOSPLIT, $80-40
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R9
	MOVQ nb+24(FP), CX
	// Rows: DI = 0, AX = 1, DX = 2, BX = 3.
	LEAQ (DI)(R9*1), AX
	LEAQ (DI)(R9*2), DX
	LEAQ (DX)(R9*1), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VMOVUPS X0, 0(SP)
	VMOVUPS X0, 16(SP)
	VMOVUPS X0, 32(SP)
	VMOVUPS X0, 48(SP)
	MOVL   $0x0f0f0f0f, R9
	VMOVD  R9, X15
	VPBROADCASTD X15, Y15
	TESTQ  CX, CX
	JLE    q4x4done

q4x4loop:
	MOVWLZX   (SI), R9
	MOVWLZX   2(SI), R10
	VMOVD     R9, X13
	VMOVD     R10, X14
	VCVTPH2PS X13, X13
	VCVTPH2PS X14, X14
	VMOVSS    X13, 64(SP)
	VMOVSS    X14, 68(SP)

	K4SCALES
	VMOVQ        R8, X8
	VPBROADCASTQ X8, Y8
	VMOVQ        R12, X12
	VPMOVZXBW    X12, X12

	ROWMINS(DI, 0)
	ROWMINS(AX, 16)
	ROWMINS(DX, 32)
	ROWMINS(BX, 48)

	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	CHUNK4(16, 4, 0)
	CHUNK4(48, 68, 64)
	CHUNK4(80, 132, 128)
	CHUNK4(112, 196, 192)

	ROWACC(DI, Y4, Y0)
	ROWACC(AX, Y5, Y1)
	ROWACC(DX, Y6, Y2)
	ROWACC(BX, Y7, Y3)

	ADDQ $144, SI
	ADDQ $292, DI
	ADDQ $292, AX
	ADDQ $292, DX
	ADDQ $292, BX
	DECQ CX
	JNZ  q4x4loop

q4x4done:
	MOVQ out+32(FP), R8
	ROWOUT(Y0, X0, 0, 0)
	ROWOUT(Y1, X1, 16, 4)
	ROWOUT(Y2, X2, 32, 8)
	ROWOUT(Y3, X3, 48, 12)
	VZEROUPPER
	RET
