#include "textflag.h"

// dotQ6_KAVX2 follows llama.cpp's AVX2 ggml_vec_dot_q6_K_q8_K: unsigned
// 6-bit quants against the activations with maddubs, scaled per 16 values
// with VPMADDWD into eight exact int32 lanes, the -32 offset taken off once
// per superblock as 32*madd(bsums, scales), one FMA per superblock;
// dotQ6_KPlain is its Go model, bit for bit.

// Mask t of k6shuf, applied to the eight int16 scales of one 128-value half
// (in both lanes), gives scale 2t in the low lane and 2t+1 in the high lane:
// the scales of the 32 values 32t..32t+31.
DATA k6shuf<>+0(SB)/8, $0x0100010001000100
DATA k6shuf<>+8(SB)/8, $0x0100010001000100
DATA k6shuf<>+16(SB)/8, $0x0302030203020302
DATA k6shuf<>+24(SB)/8, $0x0302030203020302
DATA k6shuf<>+32(SB)/8, $0x0504050405040504
DATA k6shuf<>+40(SB)/8, $0x0504050405040504
DATA k6shuf<>+48(SB)/8, $0x0706070607060706
DATA k6shuf<>+56(SB)/8, $0x0706070607060706
DATA k6shuf<>+64(SB)/8, $0x0908090809080908
DATA k6shuf<>+72(SB)/8, $0x0908090809080908
DATA k6shuf<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k6shuf<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k6shuf<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k6shuf<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k6shuf<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k6shuf<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL k6shuf<>(SB), RODATA|NOPTR, $128

// Q6PART handles the 32 values 32t.. of a half: their low four bits in Y9
// and their top two (from qh, Y2) in bits 4-5 of Y10 (the includer's LO and
// HI steps), against the activations at yoff(DI), scales by mask soff.
#define Q6PART(yoff, soff) \
	VPAND      Y15, Y9, Y9 \
	VPAND      Y5, Y10, Y10 \
	VPOR       Y10, Y9, Y9 \
	VPMADDUBSW yoff(DI), Y9, Y9 \
	VPSHUFB    k6shuf<>+soff(SB), Y7, Y12 \
	VPMADDWD   Y12, Y9, Y9 \
	VPADDD     Y9, Y13, Y13

// Q6HALF handles values 128h..128h+127 (ql at qoff, qh at hoff, activations
// from yoff); perm picks the half's scales. Parts 0 and 1 take the low
// nibbles of ql, 2 and 3 the high ones; qh's bit pairs sit at 0, 2, 4 and
// 6 for parts 0-3, moved to 4-5 (no shift where none is needed).
#define Q6HALF(qoff, hoff, yoff, perm) \
	VMOVDQU qoff(SI), Y3 \
	VMOVDQU 32+qoff(SI), Y4 \
	VMOVDQU hoff(SI), Y2 \
	VPERMQ  $perm, Y8, Y7 \
	VPSLLW  $4, Y2, Y10 \
	Q6PARTLO(Y3, yoff, 0) \
	VPSLLW  $2, Y2, Y10 \
	Q6PARTLO(Y4, 32+yoff, 32) \
	VPSRLW  $4, Y3, Y9 \
	VMOVDQA Y2, Y10 \
	Q6PART(64+yoff, 64) \
	VPSRLW  $4, Y4, Y9 \
	VPSRLW  $2, Y2, Y10 \
	Q6PART(96+yoff, 96)

// Q6PARTLO is Q6PART on the low nibbles of src, which need no shift.
#define Q6PARTLO(src, yoff, soff) \
	VPAND      Y15, src, Y9 \
	VPAND      Y5, Y10, Y10 \
	VPOR       Y10, Y9, Y9 \
	VPMADDUBSW yoff(DI), Y9, Y9 \
	VPSHUFB    k6shuf<>+soff(SB), Y7, Y12 \
	VPMADDWD   Y12, Y9, Y9 \
	VPADDD     Y9, Y13, Y13

// func dotQ6_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0 // acc
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	MOVL   $0x30303030, AX
	VMOVD  AX, X5
	VPBROADCASTD X5, Y5
	TESTQ  CX, CX
	JLE    q6kdone

q6kloop:
	MOVWLZX   208(SI), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1
	VMULSS    (DI), X1, X1 // d = y.d * x.d
	VBROADCASTSS X1, Y1
	VPMOVSXBW 192(SI), Y8 // the 16 scales as int16

	VPXOR Y13, Y13, Y13
	Q6HALF(0, 128, 4, 0x44)
	Q6HALF(64, 160, 132, 0xee)
	// The offset: 32 * (bsums . scales) per pair of 16-value groups.
	VPMADDWD 260(DI), Y8, Y14
	VPSLLD   $5, Y14, Y14
	VPSUBD   Y14, Y13, Y13

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y1, Y0

	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q6kloop

q6kdone:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
