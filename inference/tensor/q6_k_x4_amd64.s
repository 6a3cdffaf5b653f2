#include "textflag.h"

// dotQ6_Kx4AVX2 dots nb Q6_K superblocks of one weight row with four Q8_K
// rows, decoding each weight part once for the four. Each row's arithmetic
// is dotQ6_KAVX2's, so out[r] equals dotQ6_KPlain(w, row r) bit for bit.
// The four 8-lane accumulators live at 0..127(SP).

DATA k6x4shuf<>+0(SB)/8, $0x0100010001000100
DATA k6x4shuf<>+8(SB)/8, $0x0100010001000100
DATA k6x4shuf<>+16(SB)/8, $0x0302030203020302
DATA k6x4shuf<>+24(SB)/8, $0x0302030203020302
DATA k6x4shuf<>+32(SB)/8, $0x0504050405040504
DATA k6x4shuf<>+40(SB)/8, $0x0504050405040504
DATA k6x4shuf<>+48(SB)/8, $0x0706070607060706
DATA k6x4shuf<>+56(SB)/8, $0x0706070607060706
DATA k6x4shuf<>+64(SB)/8, $0x0908090809080908
DATA k6x4shuf<>+72(SB)/8, $0x0908090809080908
DATA k6x4shuf<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k6x4shuf<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k6x4shuf<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k6x4shuf<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k6x4shuf<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k6x4shuf<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL k6x4shuf<>(SB), RODATA|NOPTR, $128

// ROW6: row p's products with the decoded part (Y8 quants, Y9 scales),
// into sums s (the -32 offset comes off at the end, OFF6).
#define ROW6(p, yoff, s) \
	VPMADDUBSW yoff(p), Y8, Y10 \
	VPMADDWD   Y9, Y10, Y10 \
	VPADDD     Y10, s, s

// PART6: see Q6PART in q6_k_amd64.s; src low nibbles shifted by ln, qh
// (Y6) by hop/hn into bits 4-5 (Y14 = 0x30), scales by mask soff.
#define PART6(src, ln, hop, hn, yoff, soff) \
	VPSRLW  $ln, src, Y8 \
	hop     $hn, Y6, Y10 \
	VPAND   Y15, Y8, Y8 \
	VPAND   Y14, Y10, Y10 \
	VPOR    Y10, Y8, Y8 \
	VPSHUFB k6x4shuf<>+soff(SB), Y7, Y9 \
	ROW6(DI, yoff, Y0) \
	ROW6(AX, yoff, Y1) \
	ROW6(DX, yoff, Y2) \
	ROW6(BX, yoff, Y3)

#define HALF6(qoff, hoff, yoff, perm) \
	VMOVDQU   qoff(SI), Y4 \
	VMOVDQU   32+qoff(SI), Y5 \
	VMOVDQU   hoff(SI), Y6 \
	VPMOVSXBW 192(SI), Y7 \
	VPERMQ    $perm, Y7, Y7 \
	PART6(Y4, 0, VPSLLW, 4, yoff, 0) \
	PART6(Y5, 0, VPSLLW, 2, 32+yoff, 32) \
	PART6(Y4, 4, VPSRLW, 0, 64+yoff, 64) \
	PART6(Y5, 4, VPSRLW, 2, 96+yoff, 96)

// OFF6 takes the -32 offset off row p's sums s: 32 * (bsums . scales),
// the scales as int16 in Y7.
#define OFF6(p, s) \
	VPMADDWD 260(p), Y7, Y10 \
	VPSLLD   $5, Y10, Y10 \
	VPSUBD   Y10, s, s

// ACC6: acc at aoff(SP) += (y.d * x.d) * float(s) for row p (x.d in X12).
#define ACC6(p, s, aoff) \
	VMULSS       (p), X12, X10 \
	VBROADCASTSS X10, Y10 \
	VCVTDQ2PS    s, s \
	VMOVUPS      aoff(SP), Y11 \
	VFMADD231PS  s, Y10, Y11 \
	VMOVUPS      Y11, aoff(SP)

// OUT6 stores hsum of the accumulator at aoff(SP) to ooff(R8).
#define OUT6(aoff, ooff) \
	VMOVUPS      aoff(SP), Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1 \
	VADDSS       X1, X0, X0 \
	MOVSS        X0, ooff(R8)

// func dotQ6_Kx4AVX2(w, x *byte, stride, nb int, out *[4]float32)
TEXT ·dotQ6_Kx4AVX2(SB), NOSPLIT, $128-40
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
	MOVL   $0x0f0f0f0f, R9
	VMOVD  R9, X15
	VPBROADCASTD X15, Y15
	MOVL   $0x30303030, R9
	VMOVD  R9, X14
	VPBROADCASTD X14, Y14
	TESTQ  CX, CX
	JLE    q6x4done

q6x4loop:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	HALF6(0, 128, 4, 0x44)
	HALF6(64, 160, 132, 0xee)
	VPMOVSXBW 192(SI), Y7
	OFF6(DI, Y0)
	OFF6(AX, Y1)
	OFF6(DX, Y2)
	OFF6(BX, Y3)

	MOVWLZX   208(SI), R9
	VMOVD     R9, X12
	VCVTPH2PS X12, X12
	ACC6(DI, Y0, 0)
	ACC6(AX, Y1, 32)
	ACC6(DX, Y2, 64)
	ACC6(BX, Y3, 96)

	ADDQ $210, SI
	ADDQ $292, DI
	ADDQ $292, AX
	ADDQ $292, DX
	ADDQ $292, BX
	DECQ CX
	JNZ  q6x4loop

q6x4done:
	MOVQ out+32(FP), R8
	OUT6(0, 0)
	OUT6(32, 4)
	OUT6(64, 8)
	OUT6(96, 12)
	VZEROUPPER
	RET
