#include "textflag.h"

// dotQ3_KAVX2 is llama.cpp's AVX2 ggml_vec_dot_q3_K_q8_K: each 3-bit value
// is (low 2 bits) - 4*(high bit clear), multiplied as two VPMADDUBSW and
// subtracted, scaled per 16-value group by VPMADDWD, summed in eight int32
// lanes per superblock and added into a float accumulator by FMA; then
// hsum_float_8. dotQ3_KPlain is its twin.

DATA q3kShuf<>+0x00(SB)/8, $0x0100010001000100
DATA q3kShuf<>+0x08(SB)/8, $0x0100010001000100
DATA q3kShuf<>+0x10(SB)/8, $0x0302030203020302
DATA q3kShuf<>+0x18(SB)/8, $0x0302030203020302
DATA q3kShuf<>+0x20(SB)/8, $0x0504050405040504
DATA q3kShuf<>+0x28(SB)/8, $0x0504050405040504
DATA q3kShuf<>+0x30(SB)/8, $0x0706070607060706
DATA q3kShuf<>+0x38(SB)/8, $0x0706070607060706
DATA q3kShuf<>+0x40(SB)/8, $0x0908090809080908
DATA q3kShuf<>+0x48(SB)/8, $0x0908090809080908
DATA q3kShuf<>+0x50(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kShuf<>+0x58(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q3kShuf<>+0x60(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kShuf<>+0x68(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q3kShuf<>+0x70(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q3kShuf<>+0x78(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q3kShuf<>(SB), RODATA|NOPTR, $128

DATA q3kM4<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q3kM4<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q3kM4<>(SB), RODATA|NOPTR, $16

// Shifts of the high-bit dword for scales 0-3, 4-7, 8-11, 12-15.
DATA q3kHsh<>+0x00(SB)/8, $0x0000000200000000
DATA q3kHsh<>+0x08(SB)/8, $0x0000000600000004
GLOBL q3kHsh<>(SB), RODATA|NOPTR, $16

#define Q3HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// One plane: low bits (Y8 >> shift) & 3, and 4 where the hmask bit of the
// plane is clear (Y2 holds ~hmask; Y14 fours); both times the activations
// at q8off, the difference times the scales of shuffle row row of Ysc.
#define Q3PLANE0(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSLLW     $2, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE1(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSLLW     $1, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE2(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPAND      Y14, Y2, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE3(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSRLW     $1, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE4(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSRLW     $2, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE5(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSRLW     $3, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE6(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSRLW     $4, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3PLANE7(shift, q8off, row, Ysc, Yout) \
	VPSRLW     $shift, Y8, Yout \
	VPAND      Y15, Yout, Yout \
	VMOVDQU    q8off(DI), Y9 \
	VPMADDUBSW Y9, Yout, Yout \
	VPSRLW     $5, Y2, Y10 \
	VPAND      Y14, Y10, Y10 \
	VPMADDUBSW Y9, Y10, Y10 \
	VPSUBW     Y10, Yout, Yout \
	VPSHUFB    (row*32)(R8), Ysc, Y9 \
	VPMADDWD   Y9, Yout, Yout

#define Q3HALF0 \
	VMOVDQU 32(SI), Y8 \
	Q3PLANE0(0, 4, 0, Y6, Y11) \
	Q3PLANE1(2, 36, 1, Y6, Y12) \
	VPADDD  Y12, Y11, Y11 \
	Q3PLANE2(4, 68, 2, Y6, Y12) \
	Q3PLANE3(6, 100, 3, Y6, Y13) \
	VPADDD  Y13, Y12, Y12 \
	VPADDD  Y12, Y11, Y11 \
	VPADDD  Y11, Y3, Y3

#define Q3HALF1 \
	VMOVDQU 64(SI), Y8 \
	Q3PLANE4(0, 132, 0, Y7, Y11) \
	Q3PLANE5(2, 164, 1, Y7, Y12) \
	VPADDD  Y12, Y11, Y11 \
	Q3PLANE6(4, 196, 2, Y7, Y12) \
	Q3PLANE7(6, 228, 3, Y7, Y13) \
	VPADDD  Y13, Y12, Y12 \
	VPADDD  Y12, Y11, Y11 \
	VPADDD  Y11, Y3, Y3

// func dotQ3_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ3_KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	LEAQ q3kShuf<>(SB), R8
	VXORPS   Y0, Y0, Y0
	MOVL     $0x03030303, AX
	VMOVD    AX, X15
	VPBROADCASTD X15, Y15 // m3
	MOVL     $0x04040404, AX
	VMOVD    AX, X14
	VPBROADCASTD X14, Y14 // fours
	MOVL     $0x20202020, AX
	VMOVD    AX, X5
	VPBROADCASTD X5, X5 // 32s (16 bytes)
	TESTQ    CX, CX
	JLE      q3done

q3loop:
	PREFETCHT0 512(SI)
	MOVWLZX   108(SI), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1
	VMULSS    (DI), X1, X1
	VBROADCASTSS X1, Y1

	// The 16 6-bit scales: low nibbles of bytes 0-7 are scales 0-7, high
	// nibbles 8-15; byte 8+j%4 bits 2*(j/4) are the top two bits of j.
	VMOVQ       96(SI), X4
	VPINSRD     $2, 104(SI), X4, X4
	VPSRLW      $4, X4, X9
	VPUNPCKLQDQ X9, X4, X10
	VPAND       q3kM4<>(SB), X10, X10
	VPSHUFD     $0xAA, X4, X11
	VPSRLVD     q3kHsh<>(SB), X11, X11
	VPAND       X15, X11, X11
	VPSLLW      $4, X11, X11
	VPOR        X11, X10, X4
	VPSUBB    X5, X4, X4
	VPMOVSXBW X4, Y4
	VPERMQ    $0x44, Y4, Y6
	VPERMQ    $0xEE, Y4, Y7

	VPCMPEQB Y4, Y4, Y4
	VPXOR   (SI), Y4, Y2 // ~hmask
	VPXOR   Y3, Y3, Y3
	Q3HALF0
	Q3HALF1

	VCVTDQ2PS   Y3, Y3
	VFMADD231PS Y3, Y1, Y0

	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q3loop

q3done:
	Q3HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
