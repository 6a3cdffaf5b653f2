#include "textflag.h"

// dotQ2_KAVX2 is llama.cpp's AVX2 ggml_vec_dot_q2_K_q8_K: per superblock the
// min products (VPMADDWD of the 4-bit mins with the Q8_K bsums) and the
// scaled 2-bit products go into one 8-lane float accumulator by FMA, mins
// first; then hsum_float_8. dotQ2_KPlain is its twin.

// Scale shuffles (ggml's get_scale_shuffle_q3k): row i picks int16 scale
// 2i for the low 16 bytes and 2i+1 for the high 16 bytes of a chunk.
DATA q2kShuf<>+0x00(SB)/8, $0x0100010001000100
DATA q2kShuf<>+0x08(SB)/8, $0x0100010001000100
DATA q2kShuf<>+0x10(SB)/8, $0x0302030203020302
DATA q2kShuf<>+0x18(SB)/8, $0x0302030203020302
DATA q2kShuf<>+0x20(SB)/8, $0x0504050405040504
DATA q2kShuf<>+0x28(SB)/8, $0x0504050405040504
DATA q2kShuf<>+0x30(SB)/8, $0x0706070607060706
DATA q2kShuf<>+0x38(SB)/8, $0x0706070607060706
DATA q2kShuf<>+0x40(SB)/8, $0x0908090809080908
DATA q2kShuf<>+0x48(SB)/8, $0x0908090809080908
DATA q2kShuf<>+0x50(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q2kShuf<>+0x58(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q2kShuf<>+0x60(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q2kShuf<>+0x68(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q2kShuf<>+0x70(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q2kShuf<>+0x78(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q2kShuf<>(SB), RODATA|NOPTR, $128

#define Q2HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// One 2-bit plane: quants (Y8 >> shift) & 3 times the 32 activations at
// q8off, times the scales picked by shuffle row row of Ysc, into Yout.
#define Q2PLANE(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VPMADDUBSW q8off(DI), Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

// One 128-value half: 32 bytes of quants at qoff, activations from q8base.
#define Q2HALF(qoff, q8base, Ysc) \
	VMOVDQU qoff(SI), Y8 \
	Q2PLANE(0, q8base+0, 0, Ysc, Y10) \
	Q2PLANE(2, q8base+32, 1, Ysc, Y11) \
	Q2PLANE(4, q8base+64, 2, Ysc, Y12) \
	Q2PLANE(6, q8base+96, 3, Ysc, Y13) \
	VPADDD  Y11, Y10, Y10 \
	VPADDD  Y13, Y12, Y12 \
	VPADDD  Y12, Y10, Y10 \
	VPADDD  Y10, Y3, Y3

// func dotQ2_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ2_KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	LEAQ q2kShuf<>(SB), R8
	VXORPS   Y0, Y0, Y0
	MOVL     $0x03030303, AX
	VMOVD    AX, X15
	VPBROADCASTD X15, Y15 // m3
	MOVL     $0x0f0f0f0f, AX
	VMOVD    AX, X14
	VPBROADCASTD X14, X14 // m4 (16 bytes)
	TESTQ    CX, CX
	JLE      q2done

q2loop:
	PREFETCHT0 512(SI)
	// d = y.d * x.d, dmin = y.d * x.dmin (subtracted by VFNMADD).
	MOVWLZX   80(SI), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1
	VMULSS    (DI), X1, X1
	MOVWLZX   82(SI), AX
	VMOVD     AX, X2
	VCVTPH2PS X2, X2
	VMULSS    (DI), X2, X2
	VBROADCASTSS X1, Y1
	VBROADCASTSS X2, Y2

	VMOVDQU   (SI), X4 // scales and mins
	VPSRLW    $4, X4, X5
	VPAND     X14, X5, X5
	VPMOVSXBW X5, Y5
	VPMADDWD  260(DI), Y5, Y5 // mins . bsums
	VCVTDQ2PS Y5, Y5
	VFNMADD231PS Y5, Y2, Y0

	VPAND     X14, X4, X4
	VPMOVSXBW X4, Y4
	VPERMQ    $0x44, Y4, Y6 // scales 0-7 in both lanes
	VPERMQ    $0xEE, Y4, Y7 // scales 8-15

	VPXOR Y3, Y3, Y3
	Q2HALF(16, 4, Y6)
	Q2HALF(48, 132, Y7)

	VCVTDQ2PS   Y3, Y3
	VFMADD231PS Y3, Y1, Y0

	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q2loop

q2done:
	Q2HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
