#include "textflag.h"

// dotQ4_KAVX2 follows llama.cpp's AVX2 ggml_vec_dot_q4_K_q8_K: per
// superblock exact int32 sums in eight lanes, one FMA with d into the
// 8-lane accumulator, the mins against the Q8_K group sums in a 4-lane
// accumulator; dotQ4_KPlain is its Go model, bit for bit.

// Mask s (0..7) of k4shuf picks byte s, zero-extended, into every int16
// lane: with the eight 6-bit scales broadcast to all qwords, VPSHUFB turns
// them into sixteen copies of scale s for VPMADDWD.
DATA k4shuf<>+0(SB)/8, $0x8000800080008000
DATA k4shuf<>+8(SB)/8, $0x8000800080008000
DATA k4shuf<>+16(SB)/8, $0x8000800080008000
DATA k4shuf<>+24(SB)/8, $0x8000800080008000
DATA k4shuf<>+32(SB)/8, $0x8001800180018001
DATA k4shuf<>+40(SB)/8, $0x8001800180018001
DATA k4shuf<>+48(SB)/8, $0x8001800180018001
DATA k4shuf<>+56(SB)/8, $0x8001800180018001
DATA k4shuf<>+64(SB)/8, $0x8002800280028002
DATA k4shuf<>+72(SB)/8, $0x8002800280028002
DATA k4shuf<>+80(SB)/8, $0x8002800280028002
DATA k4shuf<>+88(SB)/8, $0x8002800280028002
DATA k4shuf<>+96(SB)/8, $0x8003800380038003
DATA k4shuf<>+104(SB)/8, $0x8003800380038003
DATA k4shuf<>+112(SB)/8, $0x8003800380038003
DATA k4shuf<>+120(SB)/8, $0x8003800380038003
DATA k4shuf<>+128(SB)/8, $0x8004800480048004
DATA k4shuf<>+136(SB)/8, $0x8004800480048004
DATA k4shuf<>+144(SB)/8, $0x8004800480048004
DATA k4shuf<>+152(SB)/8, $0x8004800480048004
DATA k4shuf<>+160(SB)/8, $0x8005800580058005
DATA k4shuf<>+168(SB)/8, $0x8005800580058005
DATA k4shuf<>+176(SB)/8, $0x8005800580058005
DATA k4shuf<>+184(SB)/8, $0x8005800580058005
DATA k4shuf<>+192(SB)/8, $0x8006800680068006
DATA k4shuf<>+200(SB)/8, $0x8006800680068006
DATA k4shuf<>+208(SB)/8, $0x8006800680068006
DATA k4shuf<>+216(SB)/8, $0x8006800680068006
DATA k4shuf<>+224(SB)/8, $0x8007800780078007
DATA k4shuf<>+232(SB)/8, $0x8007800780078007
DATA k4shuf<>+240(SB)/8, $0x8007800780078007
DATA k4shuf<>+248(SB)/8, $0x8007800780078007
GLOBL k4shuf<>(SB), RODATA|NOPTR, $256

// K4SCALES unpacks the 12 scale bytes at 4(SI) (the utmp shuffle): the eight
// scales end in R8 (one byte each), the eight mins in R12. Clobbers R9-R11, R13.
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

// Q4CHUNK handles 64 values (chunk c): 32 weight bytes at qoff(SI), low
// nibbles against the 32 activations at yoff(DI) with scale 2c, high
// nibbles against the next 32 with scale 2c+1; the int32 lanes go to Y13.
#define Q4CHUNK(qoff, yoff, soff) \
	VMOVDQU    qoff(SI), Y9 \
	VPAND      Y15, Y9, Y10 \
	VPSRLW     $4, Y9, Y9 \
	VPAND      Y15, Y9, Y9 \
	VPMADDUBSW yoff(DI), Y10, Y10 \
	VPMADDUBSW 32+yoff(DI), Y9, Y9 \
	VPSHUFB    k4shuf<>+soff(SB), Y8, Y11 \
	VPSHUFB    k4shuf<>+32+soff(SB), Y8, Y12 \
	VPMADDWD   Y11, Y10, Y10 \
	VPMADDWD   Y12, Y9, Y9 \
	VPADDD     Y9, Y10, Y10 \
	VPADDD     Y10, Y13, Y13

// func dotQ4_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0   // acc
	VXORPS X14, X14, X14 // mins acc
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	TESTQ  CX, CX
	JLE    q4kdone

q4kloop:
	MOVWLZX   (SI), AX
	MOVWLZX   2(SI), BX
	VMOVD     AX, X2
	VMOVD     BX, X3
	VCVTPH2PS X2, X2
	VCVTPH2PS X3, X3
	VMOVSS    (DI), X4
	VMULSS    X4, X2, X2 // d = y.d * x.d
	VMULSS    X4, X3, X3 // y.d * x.dmin (negated by the FNMADD below)
	VBROADCASTSS X2, Y2
	VBROADCASTSS X3, X3

	K4SCALES
	VMOVQ        R8, X5
	VPBROADCASTQ X5, Y8 // scales in every qword
	VMOVQ        R12, X7
	VPMOVZXBW    X7, X7 // mins as int16

	// Mins: group sums added in pairs, times the mins in pairs.
	VMOVDQU      260(DI), Y6
	VEXTRACTI128 $1, Y6, X5
	VPHADDW      X5, X6, X6
	VPMADDWD     X7, X6, X6
	VCVTDQ2PS    X6, X6
	VFNMADD231PS X6, X3, X14 // acc_m += dmin * prod, dmin = -(y.d*x.dmin)

	VPXOR Y13, Y13, Y13
	Q4CHUNK(16, 4, 0)
	Q4CHUNK(48, 68, 64)
	Q4CHUNK(80, 132, 128)
	Q4CHUNK(112, 196, 192)

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y2, Y0

	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4kloop

q4kdone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVHLPS     X14, X14, X1
	VADDPS       X1, X14, X14
	VMOVSHDUP    X14, X1
	VADDSS       X1, X14, X14
	VADDSS       X14, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
