#include "textflag.h"

// Repacked Q4_0 kernels (q4_0_repack.go): lane j of a vector is weight
// row j of the 8-row group. Per block and row the integer sum of (q-8)*y
// is sum(q*y) - 8*sum(y): maddubs of the unsigned nibbles with broadcast
// activation dwords (int16 partial sums, at most 8*3840 < 32768, so exact),
// and 8*sum(y) from the Q8_0 form's side values; then
// acc = fma(sum, d_w*d_x, acc), as gemvQ4_0x8Plain.

// Q40X8UNPACK loads the block at SI: chunk k's low nibbles into Y(2k), high
// into Y(2k+1). Clobbers AX, Y8.
#define Q40X8UNPACK \
	MOVL         $0x0F0F0F0F, AX \
	VMOVD        AX, X8 \
	VPBROADCASTD X8, Y8 \
	VMOVDQU      16(SI), Y0 \
	VPSRLW       $4, Y0, Y1 \
	VPAND        Y8, Y0, Y0 \
	VPAND        Y8, Y1, Y1 \
	VMOVDQU      48(SI), Y2 \
	VPSRLW       $4, Y2, Y3 \
	VPAND        Y8, Y2, Y2 \
	VPAND        Y8, Y3, Y3 \
	VMOVDQU      80(SI), Y4 \
	VPSRLW       $4, Y4, Y5 \
	VPAND        Y8, Y4, Y4 \
	VPAND        Y8, Y5, Y5 \
	VMOVDQU      112(SI), Y6 \
	VPSRLW       $4, Y6, Y7 \
	VPAND        Y8, Y6, Y6 \
	VPAND        Y8, Y7, Y7

// Q40X8ROW adds the block of the Q8_0 row at y to acc, eight rows at once;
// sc is the block's float32 scale, sm its 8*sum(y) (fillQ8_0Scales), Y10
// the weights' scales, Y15 int16 ones. Clobbers Y8, Y9.
#define Q40X8ROW(y, sc, sm, acc) \
	VPBROADCASTD 2(y), Y9 \
	VPMADDUBSW   Y9, Y0, Y8 \
	VPBROADCASTD 18(y), Y9 \
	VPMADDUBSW   Y9, Y1, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 6(y), Y9 \
	VPMADDUBSW   Y9, Y2, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 22(y), Y9 \
	VPMADDUBSW   Y9, Y3, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 10(y), Y9 \
	VPMADDUBSW   Y9, Y4, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 26(y), Y9 \
	VPMADDUBSW   Y9, Y5, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 14(y), Y9 \
	VPMADDUBSW   Y9, Y6, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPBROADCASTD 30(y), Y9 \
	VPMADDUBSW   Y9, Y7, Y9 \
	VPADDW       Y9, Y8, Y8 \
	VPMADDWD     Y15, Y8, Y8 \
	VPBROADCASTD sm, Y9 \
	VPSUBD       Y9, Y8, Y8 \
	VCVTDQ2PS    Y8, Y8 \
	VBROADCASTSS sc, Y9 \
	VMULPS       Y9, Y10, Y9 \
	VFMADD231PS  Y9, Y8, acc

#define Q40X8ONES \
	MOVL         $0x00010001, AX \
	VMOVD        AX, X15 \
	VPBROADCASTD X15, Y15

// func gemvQ4_0x8AVX2(w, x *byte, s *float32, ss, nb int, out *float32)
TEXT ·gemvQ4_0x8AVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ s+16(FP), R12
	MOVQ ss+24(FP), R8
	SHLQ $2, R8
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), DX
	MOVQ CX, R13
	IMULQ R8, R13 // the sums follow the nb scales
	Q40X8ONES
	VXORPS Y11, Y11, Y11

gemvloop:
	Q40X8UNPACK
	VCVTPH2PS (SI), Y10
	Q40X8ROW(DI, (R12), (R12)(R13*1), Y11)
	ADDQ $144, SI
	ADDQ $34, DI
	ADDQ R8, R12
	DECQ CX
	JNZ  gemvloop

	VMOVUPS Y11, (DX)
	VZEROUPPER
	RET

// func gemm4Q4_0x8AVX2(w, x *byte, stride int, s *float32, ss, nb int, out *float32, ostride int)
// Four input rows per weight load (rows at x, x+stride, ...).
TEXT ·gemm4Q4_0x8AVX2(SB), NOSPLIT, $0-64
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
	MOVQ CX, R13
	IMULQ BX, R13
	Q40X8ONES
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14

gemmloop:
	Q40X8UNPACK
	VCVTPH2PS (SI), Y10
	Q40X8ROW(DI, (R12), (R12)(R13*1), Y11)
	Q40X8ROW(R9, 4(R12), 4(R12)(R13*1), Y12)
	Q40X8ROW(R10, 8(R12), 8(R12)(R13*1), Y13)
	Q40X8ROW(R11, 12(R12), 12(R12)(R13*1), Y14)
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
