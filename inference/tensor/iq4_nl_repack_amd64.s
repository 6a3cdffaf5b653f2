#include "textflag.h"

// Repacked IQ4_NL kernels (iq4_nl_repack.go), Q4_0's layout: lane j of a
// vector is weight row j. The nibbles become kvaluesIQ4NL bytes by VPSHUFB;
// per chunk maddubs(|y|, w*sign(y)) is exact (|w| <= 127, |y| <= 128, a
// pair <= 32512) and widens to int32 at once (eight chunks could overflow
// int16); then acc = fma(sum, d_w*d_x, acc), as gemvIQ4_NLx8Plain.

// kvaluesIQ4NL, as bytes.
DATA iq4nlTab<>+0(SB)/8, $0xF6EADDCFBFAD9881
DATA iq4nlTab<>+8(SB)/8, $0x7159453526190D01
GLOBL iq4nlTab<>(SB), RODATA|NOPTR, $16

// IQ4NLX8UNPACK loads the block at SI: chunk k's low-nibble values into
// Y(2k), high into Y(2k+1). Clobbers AX, Y8, Y9.
#define IQ4NLX8UNPACK \
	MOVL         $0x0F0F0F0F, AX \
	VMOVD        AX, X8 \
	VPBROADCASTD X8, Y8 \
	VBROADCASTI128 iq4nlTab<>(SB), Y9 \
	VMOVDQU      16(SI), Y0 \
	VPSRLW       $4, Y0, Y1 \
	VPAND        Y8, Y0, Y0 \
	VPAND        Y8, Y1, Y1 \
	VPSHUFB      Y0, Y9, Y0 \
	VPSHUFB      Y1, Y9, Y1 \
	VMOVDQU      48(SI), Y2 \
	VPSRLW       $4, Y2, Y3 \
	VPAND        Y8, Y2, Y2 \
	VPAND        Y8, Y3, Y3 \
	VPSHUFB      Y2, Y9, Y2 \
	VPSHUFB      Y3, Y9, Y3 \
	VMOVDQU      80(SI), Y4 \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y8, Y4, Y4 \
	VPAND        Y8, Y5, Y5 \
	VPSHUFB      Y4, Y9, Y4 \
	VPSHUFB      Y5, Y9, Y5 \
	VMOVDQU      112(SI), Y6 \
	VPSRLW       $4, Y6, Y7 \
	VPAND        Y8, Y6, Y6 \
	VPAND        Y8, Y7, Y7 \
	VPSHUFB      Y6, Y9, Y6 \
	VPSHUFB      Y7, Y9, Y7

// IQ4NLX8ROW adds the block of the Q8_0 row at y (float32 scale sc) to acc,
// eight rows at once, with Y15 holding int16 ones. Clobbers Y8-Y10.
#define IQ4NLX8ROW(y, sc, acc) \
	VPBROADCASTD 2(y), Y9 \
	VPSIGNB      Y9, Y0, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y8 \
	VPBROADCASTD 18(y), Y9 \
	VPSIGNB      Y9, Y1, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 6(y), Y9 \
	VPSIGNB      Y9, Y2, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 22(y), Y9 \
	VPSIGNB      Y9, Y3, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 10(y), Y9 \
	VPSIGNB      Y9, Y4, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 26(y), Y9 \
	VPSIGNB      Y9, Y5, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 14(y), Y9 \
	VPSIGNB      Y9, Y6, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VPBROADCASTD 30(y), Y9 \
	VPSIGNB      Y9, Y7, Y10 \
	VPABSB       Y9, Y9 \
	VPMADDUBSW   Y10, Y9, Y10 \
	VPMADDWD     Y15, Y10, Y10 \
	VPADDD       Y10, Y8, Y8 \
	VCVTDQ2PS    Y8, Y8 \
	VBROADCASTSS sc, Y9 \
	VCVTPH2PS    (SI), Y10 \
	VMULPS       Y9, Y10, Y9 \
	VFMADD231PS  Y9, Y8, acc

#define IQ4NLX8ONES \
	MOVL         $0x00010001, AX \
	VMOVD        AX, X15 \
	VPBROADCASTD X15, Y15

// func gemvIQ4_NLx8AVX2(w, x *byte, s *float32, ss, nb int, out *float32)
TEXT ·gemvIQ4_NLx8AVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ s+16(FP), R12
	MOVQ ss+24(FP), R8
	SHLQ $2, R8
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), DX
	IQ4NLX8ONES
	VXORPS Y11, Y11, Y11

gemvloop:
	IQ4NLX8UNPACK
	IQ4NLX8ROW(DI, (R12), Y11)
	ADDQ $144, SI
	ADDQ $34, DI
	ADDQ R8, R12
	DECQ CX
	JNZ  gemvloop

	VMOVUPS Y11, (DX)
	VZEROUPPER
	RET

// func gemm4IQ4_NLx8AVX2(w, x *byte, stride int, s *float32, ss, nb int, out *float32, ostride int)
TEXT ·gemm4IQ4_NLx8AVX2(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), BX
	LEAQ (DI)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	LEAQ (R10)(BX*1), R11
	MOVQ s+24(FP), R12
	MOVQ ss+32(FP), BX
	SHLQ $2, BX
	MOVQ nb+40(FP), CX
	MOVQ out+48(FP), DX
	IQ4NLX8ONES
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14

gemmloop:
	IQ4NLX8UNPACK
	IQ4NLX8ROW(DI, (R12), Y11)
	IQ4NLX8ROW(R9, 4(R12), Y12)
	IQ4NLX8ROW(R10, 8(R12), Y13)
	IQ4NLX8ROW(R11, 12(R12), Y14)
	ADDQ $144, SI
	ADDQ $34, DI
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ BX, R12
	DECQ CX
	JNZ  gemmloop

	MOVQ    ostride+56(FP), R8
	SHLQ    $2, R8
	VMOVUPS Y11, (DX)
	ADDQ    R8, DX
	VMOVUPS Y12, (DX)
	ADDQ    R8, DX
	VMOVUPS Y13, (DX)
	ADDQ    R8, DX
	VMOVUPS Y14, (DX)
	VZEROUPPER
	RET
