#include "textflag.h"

// dotIQ4_XSAVX2 is llama.cpp's AVX2 ggml_vec_dot_iq4_xs_q8_K: 4-bit indices
// looked up in the IQ4 levels by VPSHUFB (low nibbles to the low 16 bytes,
// high nibbles to the high 16), multiplied with the activations through
// VPSIGNB/VPMADDUBSW, scaled per 32-value block by VPMADDWD, summed in
// eight int32 lanes per superblock and added into a float accumulator by
// FMA; then hsum_float_8. dotIQ4_XSPlain is its twin.

DATA iq4Lv<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4Lv<>+0x08(SB)/8, $0x7159453526190d01
GLOBL iq4Lv<>(SB), RODATA|NOPTR, $16

#define IQ4HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// Block ib: 16 index bytes at qoff, 32 activations at q8off, its 6-bit
// scale from scales_l byte loff (nibble shift lsh) and scales_h bits hsh.
#define IQ4BLOCK(qoff, q8off, loff, lsh, hsh) \
	VMOVDQU      qoff(SI), X8 \
	VPSRLW       $4, X8, X9 \
	VINSERTI128  $1, X9, Y8, Y8 \
	VPAND        Y13, Y8, Y8 \
	VPSHUFB      Y8, Y14, Y8 \
	VMOVDQU      q8off(DI), Y9 \
	VPSIGNB      Y8, Y9, Y9 \
	VPSIGNB      Y8, Y8, Y8 \
	VPMADDUBSW   Y9, Y8, Y8 \
	MOVBLZX      loff(SI), AX \
	SHRL         $lsh, AX \
	ANDL         $15, AX \
	MOVL         BX, DX \
	SHRL         $hsh, DX \
	ANDL         $3, DX \
	SHLL         $4, DX \
	ORL          DX, AX \
	SUBL         $32, AX \
	VMOVD        AX, X10 \
	VPBROADCASTW X10, Y10 \
	VPMADDWD     Y10, Y8, Y8 \
	VPADDD       Y8, Y3, Y3

// func dotIQ4_XSAVX2(w, x *byte, nb int) float32
TEXT ·dotIQ4_XSAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS         Y0, Y0, Y0
	VBROADCASTI128 iq4Lv<>(SB), Y14
	MOVL           $0x0f0f0f0f, AX
	VMOVD          AX, X13
	VPBROADCASTD   X13, Y13
	TESTQ          CX, CX
	JLE            iq4done

iq4loop:
	MOVWLZX   (SI), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1
	VMULSS    (DI), X1, X1
	VBROADCASTSS X1, Y1
	MOVWLZX   2(SI), BX // scales_h

	VPXOR Y3, Y3, Y3
	IQ4BLOCK(8, 4, 4, 0, 0)
	IQ4BLOCK(24, 36, 4, 4, 2)
	IQ4BLOCK(40, 68, 5, 0, 4)
	IQ4BLOCK(56, 100, 5, 4, 6)
	IQ4BLOCK(72, 132, 6, 0, 8)
	IQ4BLOCK(88, 164, 6, 4, 10)
	IQ4BLOCK(104, 196, 7, 0, 12)
	IQ4BLOCK(120, 228, 7, 4, 14)

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
