#include "textflag.h"

// dotIQ4_XSAVX2 is llama.cpp's AVX2 ggml_vec_dot_iq4_xs_q8_K: 4-bit indices
// looked up in the IQ4 levels by VPSHUFB (low nibbles to the low 16 bytes,
// high nibbles to the high 16), multiplied with the activations through
// VPSIGNB/VPMADDUBSW, scaled per 32-value block by VPMADDWD, summed in
// eight int32 lanes per superblock and added into a float accumulator by
// FMA; then hsum_float_8. dotIQ4_XSPlain is its twin. (The eight block
// scales are unpacked once per superblock into one vector and picked by
// VPSHUFB, rather than one by one as ggml does; the integers are the same.)

DATA iq4Lv<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4Lv<>+0x08(SB)/8, $0x7159453526190d01
GLOBL iq4Lv<>(SB), RODATA|NOPTR, $16

// Row ib broadcasts int16 scale ib over all 16 words.
DATA iq4Shuf<>+0x00(SB)/8, $0x0100010001000100
DATA iq4Shuf<>+0x08(SB)/8, $0x0100010001000100
DATA iq4Shuf<>+0x10(SB)/8, $0x0100010001000100
DATA iq4Shuf<>+0x18(SB)/8, $0x0100010001000100
DATA iq4Shuf<>+0x20(SB)/8, $0x0302030203020302
DATA iq4Shuf<>+0x28(SB)/8, $0x0302030203020302
DATA iq4Shuf<>+0x30(SB)/8, $0x0302030203020302
DATA iq4Shuf<>+0x38(SB)/8, $0x0302030203020302
DATA iq4Shuf<>+0x40(SB)/8, $0x0504050405040504
DATA iq4Shuf<>+0x48(SB)/8, $0x0504050405040504
DATA iq4Shuf<>+0x50(SB)/8, $0x0504050405040504
DATA iq4Shuf<>+0x58(SB)/8, $0x0504050405040504
DATA iq4Shuf<>+0x60(SB)/8, $0x0706070607060706
DATA iq4Shuf<>+0x68(SB)/8, $0x0706070607060706
DATA iq4Shuf<>+0x70(SB)/8, $0x0706070607060706
DATA iq4Shuf<>+0x78(SB)/8, $0x0706070607060706
DATA iq4Shuf<>+0x80(SB)/8, $0x0908090809080908
DATA iq4Shuf<>+0x88(SB)/8, $0x0908090809080908
DATA iq4Shuf<>+0x90(SB)/8, $0x0908090809080908
DATA iq4Shuf<>+0x98(SB)/8, $0x0908090809080908
DATA iq4Shuf<>+0xa0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA iq4Shuf<>+0xa8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA iq4Shuf<>+0xb0(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA iq4Shuf<>+0xb8(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA iq4Shuf<>+0xc0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA iq4Shuf<>+0xc8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA iq4Shuf<>+0xd0(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA iq4Shuf<>+0xd8(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA iq4Shuf<>+0xe0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA iq4Shuf<>+0xe8(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA iq4Shuf<>+0xf0(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA iq4Shuf<>+0xf8(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL iq4Shuf<>(SB), RODATA|NOPTR, $256

#define IQ4HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// Block ib (levels already in Yq), activations at q8off, into Y3.
#define IQ4DOT(Yq, q8off, row) \
	VMOVDQU    q8off(DI), Y9 \
	VPSIGNB    Yq, Y9, Y9 \
	VPSIGNB    Yq, Yq, Yq \
	VPMADDUBSW Y9, Yq, Yq \
	VPSHUFB    ((row)*32)(R8), Y2, Y10 \
	VPMADDWD   Y10, Yq, Yq \
	VPADDD     Yq, Y3, Y3

// Blocks ib, ib+1: 32 index bytes at qoff; each block's low nibbles to the
// low lane and high nibbles to the high lane, then the level lookup.
#define IQ4PAIR(qoff, q8off, row) \
	VMOVDQU    qoff(SI), Y4 \
	VPSRLW     $4, Y4, Y5 \
	VPERM2I128 $0x20, Y5, Y4, Y6 \
	VPERM2I128 $0x31, Y5, Y4, Y7 \
	VPAND      Y13, Y6, Y6 \
	VPAND      Y13, Y7, Y7 \
	VPSHUFB    Y6, Y14, Y6 \
	VPSHUFB    Y7, Y14, Y7 \
	IQ4DOT(Y6, q8off, row) \
	IQ4DOT(Y7, q8off+32, row+1)

// func dotIQ4_XSAVX2(w, x *byte, nb int) float32
TEXT ·dotIQ4_XSAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	LEAQ iq4Shuf<>(SB), R8
	VXORPS         Y0, Y0, Y0
	VBROADCASTI128 iq4Lv<>(SB), Y14
	MOVL           $0x0f0f0f0f, AX
	VMOVD          AX, X13
	VPBROADCASTD   X13, Y13
	MOVL           $0x20202020, AX
	VMOVD          AX, X12
	VPBROADCASTD   X12, X12
	MOVQ           $0x000000FF000000FF, R9
	MOVQ           $0x000F000F000F000F, R10
	MOVQ           $0x0303030303030303, R11
	TESTQ          CX, CX
	JLE            iq4done

iq4loop:
	PREFETCHT0 512(SI)
	MOVWLZX   (SI), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1
	VMULSS    (DI), X1, X1
	VBROADCASTSS X1, Y1

	// Scales: byte k of BX = bits 2k, 2k+1 of scales_h.
	MOVWQZX 2(SI), BX
	MOVQ    BX, DX
	SHLQ    $24, DX
	ORQ     DX, BX
	ANDQ    R9, BX
	MOVQ    BX, DX
	SHLQ    $12, DX
	ORQ     DX, BX
	ANDQ    R10, BX
	MOVQ    BX, DX
	SHLQ    $6, DX
	ORQ     DX, BX
	ANDQ    R11, BX
	VMOVQ     BX, X2
	VPSLLW    $4, X2, X2
	VMOVD     4(SI), X4 // scales_l: block 2k low nibble, 2k+1 high
	VPSRLW    $4, X4, X5
	VPUNPCKLBW X5, X4, X4
	VPAND     X13, X4, X4
	VPOR      X4, X2, X2
	VPSUBB    X12, X2, X2
	VPMOVSXBW X2, X2
	VINSERTI128 $1, X2, Y2, Y2 // the 8 int16 scales in both lanes

	VPXOR Y3, Y3, Y3
	IQ4PAIR(8, 4, 0)
	IQ4PAIR(40, 68, 2)
	IQ4PAIR(72, 132, 4)
	IQ4PAIR(104, 196, 6)

	VCVTDQ2PS   Y3, Y3
	VFMADD231PS Y3, Y1, Y0

	ADDQ $136, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  iq4loop

iq4done:
	IQ4HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
