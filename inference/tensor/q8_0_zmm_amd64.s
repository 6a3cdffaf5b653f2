#include "textflag.h"
#include "hsum_amd64.h"

// Q8_0's 2x4 prompt tile on 512-bit registers (AVX-512 BW + VNNI): each
// ZMM holds one block of two tokens (low half token k, high half k+1), so
// one VPDPBUSD does what two 256-bit ones did. Every lane sums the same
// four products and accumulates with the same multiply and FMA as the
// 256-bit kernel (q8_0_amd64.h), so each half, reduced by HSUM8, has its
// bits. Sign handling: VPSIGNB has no 512-bit form; a blend of a and -a on
// the weight's sign bits (VPMOVB2M) gives the same products (where w is 0,
// |w| is 0 either way; activations are never -128).

// Picks scale k of four (repeated in every 128-bit lane) for the low half
// and k+1 for the high half.
DATA q8zIdx01<>+0(SB)/8, $0x0000000000000000
DATA q8zIdx01<>+8(SB)/8, $0x0000000000000000
DATA q8zIdx01<>+16(SB)/8, $0x0000000000000000
DATA q8zIdx01<>+24(SB)/8, $0x0000000000000000
DATA q8zIdx01<>+32(SB)/8, $0x0000000100000001
DATA q8zIdx01<>+40(SB)/8, $0x0000000100000001
DATA q8zIdx01<>+48(SB)/8, $0x0000000100000001
DATA q8zIdx01<>+56(SB)/8, $0x0000000100000001
GLOBL q8zIdx01<>(SB), RODATA|NOPTR, $64
DATA q8zIdx23<>+0(SB)/8, $0x0000000200000002
DATA q8zIdx23<>+8(SB)/8, $0x0000000200000002
DATA q8zIdx23<>+16(SB)/8, $0x0000000200000002
DATA q8zIdx23<>+24(SB)/8, $0x0000000200000002
DATA q8zIdx23<>+32(SB)/8, $0x0000000300000003
DATA q8zIdx23<>+40(SB)/8, $0x0000000300000003
DATA q8zIdx23<>+48(SB)/8, $0x0000000300000003
DATA q8zIdx23<>+56(SB)/8, $0x0000000300000003
GLOBL q8zIdx23<>(SB), RODATA|NOPTR, $64

// One weight row of a block: wrow its block, K its sign mask, Zacc01 and
// Zacc23 its accumulators for tokens 0,1 and 2,3. Z9 holds the four
// activation scales; Z20/Z21 tokens 0,1 / 2,3 and Z22/Z23 their negations.
#define ZROW(wrow, K, Zacc01, Zacc23) \
	MOVWLZX         (wrow), AX \
	VMOVD           AX, X10 \
	VCVTPH2PS       X10, X10 \
	VBROADCASTSS    X10, Z10 \
	VMULPS          Z9, Z10, Z10 \
	VPERMPS         Z10, Z30, Z11 \
	VPERMPS         Z10, Z31, Z12 \
	VBROADCASTI64X4 2(wrow), Z13 \
	VPMOVB2M        Z13, K \
	VPABSB          Z13, Z13 \
	VPBLENDMB       Z22, Z20, K, Z14 \
	VPXORD          Z15, Z15, Z15 \
	VPDPBUSD        Z14, Z13, Z15 \
	VCVTDQ2PS       Z15, Z15 \
	VFMADD231PS     Z15, Z11, Zacc01 \
	VPBLENDMB       Z23, Z21, K, Z14 \
	VPXORD          Z16, Z16, Z16 \
	VPDPBUSD        Z14, Z13, Z16 \
	VCVTDQ2PS       Z16, Z16 \
	VFMADD231PS     Z16, Z12, Zacc23

// func dotQ8_0x2x4ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)
// As dotQ8_0x2x4SVNNI (same arguments, same bits).
TEXT ·dotQ8_0x2x4ZVNNI(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ wstride+8(FP), R12
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), DX
	MOVQ s+32(FP), R9
	MOVQ sstride+40(FP), R10
	MOVQ nb+48(FP), CX
	LEAQ (SI)(R12*1), R13
	LEAQ (DI)(DX*2), R8
	VMOVDQU64 q8zIdx01<>(SB), Z30
	VMOVDQU64 q8zIdx23<>(SB), Z31
	VPXORD    Z29, Z29, Z29
	VPXORD    Z0, Z0, Z0
	VPXORD    Z1, Z1, Z1
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	TESTQ     CX, CX
	JLE       z24done

z24loop:
	VMOVDQU32       2(DI), Y20
	VINSERTI64X4    $1, 2(DI)(DX*1), Z20, Z20
	VMOVDQU32       2(R8), Y21
	VINSERTI64X4    $1, 2(R8)(DX*1), Z21, Z21
	VPSUBB          Z20, Z29, Z22
	VPSUBB          Z21, Z29, Z23
	VBROADCASTF32X4 (R9), Z9
	ZROW(SI, K1, Z0, Z1)
	ZROW(R13, K2, Z2, Z3)
	ADDQ $34, SI
	ADDQ $34, R13
	ADDQ $34, DI
	ADDQ $34, R8
	ADDQ R10, R9
	DECQ CX
	JNZ  z24loop

z24done:
	MOVQ out+56(FP), DI
	VEXTRACTF64X4 $1, Z0, Y4
	VEXTRACTF64X4 $1, Z1, Y5
	VEXTRACTF64X4 $1, Z2, Y6
	VEXTRACTF64X4 $1, Z3, Y7
	HSUM8(Y0, X0, X8)
	HSUM8(Y4, X4, X8)
	HSUM8(Y1, X1, X8)
	HSUM8(Y5, X5, X8)
	HSUM8(Y2, X2, X8)
	HSUM8(Y6, X6, X8)
	HSUM8(Y3, X3, X8)
	HSUM8(Y7, X7, X8)
	VZEROUPPER
	MOVSS X0, 0(DI)
	MOVSS X4, 4(DI)
	MOVSS X1, 8(DI)
	MOVSS X5, 12(DI)
	MOVSS X2, 16(DI)
	MOVSS X6, 20(DI)
	MOVSS X3, 24(DI)
	MOVSS X7, 28(DI)
	RET

#undef ZROW

// One weight row of the 4x4 tile's block. Here the weights are the signed
// operand and the activations, moved to unsigned by +128 (Z20/Z21, tokens
// 0,1 and 2,3), the unsigned one; each lane's sum then starts from
// -128*(its four weights' sum) (Z14, from VPDPBUSD with Z28 = 0x80 bytes),
// so it ends as the same exact integer w.a, with no per-pair sign work.
// Z24/Z25 hold the four activation scales spread (tokens 0,1 and 2,3); the
// row multiplies them by its own scale (the same dw*s products).
#define ZROW4(wrow, Zacc01, Zacc23) \
	MOVWLZX         (wrow), AX \
	VMOVD           AX, X10 \
	VCVTPH2PS       X10, X10 \
	VBROADCASTSS    X10, Z10 \
	VMULPS          Z24, Z10, Z11 \
	VMULPS          Z25, Z10, Z12 \
	VBROADCASTI64X4 2(wrow), Z13 \
	VPXORD          Z14, Z14, Z14 \
	VPDPBUSD        Z13, Z28, Z14 \
	VPSUBD          Z14, Z29, Z14 \
	VMOVDQA64       Z14, Z15 \
	VPDPBUSD        Z13, Z20, Z15 \
	VCVTDQ2PS       Z15, Z15 \
	VFMADD231PS     Z15, Z11, Zacc01 \
	VMOVDQA64       Z14, Z16 \
	VPDPBUSD        Z13, Z21, Z16 \
	VCVTDQ2PS       Z16, Z16 \
	VFMADD231PS     Z16, Z12, Zacc23

// Reduces rows i, i+1 (accumulators Z(a)..Z(a+3)) and stores their eight
// results at off(DI) in out's order (row, then token).
#define ZOUT2(Z0_, Z1_, Z2_, Z3_, Y0_, Y1_, Y2_, Y3_, X0_, X1_, X2_, X3_, off) \
	VEXTRACTF64X4 $1, Z0_, Y8 \
	VEXTRACTF64X4 $1, Z1_, Y9 \
	VEXTRACTF64X4 $1, Z2_, Y10 \
	VEXTRACTF64X4 $1, Z3_, Y11 \
	HSUM8(Y0_, X0_, X12) \
	HSUM8(Y8, X8, X12) \
	HSUM8(Y1_, X1_, X12) \
	HSUM8(Y9, X9, X12) \
	HSUM8(Y2_, X2_, X12) \
	HSUM8(Y10, X10, X12) \
	HSUM8(Y3_, X3_, X12) \
	HSUM8(Y11, X11, X12) \
	MOVSS X0_, off+0(DI) \
	MOVSS X8, off+4(DI) \
	MOVSS X1_, off+8(DI) \
	MOVSS X9, off+12(DI) \
	MOVSS X2_, off+16(DI) \
	MOVSS X10, off+20(DI) \
	MOVSS X3_, off+24(DI) \
	MOVSS X11, off+28(DI)

// func dotQ8_0x4x4ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[16]float32)
// Weight rows w + i*wstride (i < 4) against activation rows a + k*astride
// (k < 4): out[4*i+k]. Each activation block is loaded, made unsigned and its
// scales spread once for the four weight rows.
TEXT ·dotQ8_0x4x4ZVNNI(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ wstride+8(FP), R12
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), DX
	MOVQ s+32(FP), R9
	MOVQ sstride+40(FP), R10
	MOVQ nb+48(FP), CX
	LEAQ (SI)(R12*1), R13
	LEAQ (SI)(R12*2), BX
	LEAQ (BX)(R12*1), R11
	LEAQ (DI)(DX*2), R8
	VMOVDQU64 q8zIdx01<>(SB), Z30
	VMOVDQU64 q8zIdx23<>(SB), Z31
	VPXORD    Z29, Z29, Z29
	MOVL      $0x80808080, AX
	VPBROADCASTD AX, Z28
	VPXORD    Z0, Z0, Z0
	VPXORD    Z1, Z1, Z1
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	VPXORD    Z4, Z4, Z4
	VPXORD    Z5, Z5, Z5
	VPXORD    Z6, Z6, Z6
	VPXORD    Z7, Z7, Z7
	TESTQ     CX, CX
	JLE       z44done

z44loop:
	VMOVDQU32       2(DI), Y20
	VINSERTI64X4    $1, 2(DI)(DX*1), Z20, Z20
	VMOVDQU32       2(R8), Y21
	VINSERTI64X4    $1, 2(R8)(DX*1), Z21, Z21
	VPXORD          Z28, Z20, Z20
	VPXORD          Z28, Z21, Z21
	VBROADCASTF32X4 (R9), Z9
	VPERMPS         Z9, Z30, Z24
	VPERMPS         Z9, Z31, Z25
	ZROW4(SI, Z0, Z1)
	ZROW4(R13, Z2, Z3)
	ZROW4(BX, Z4, Z5)
	ZROW4(R11, Z6, Z7)
	ADDQ $34, SI
	ADDQ $34, R13
	ADDQ $34, BX
	ADDQ $34, R11
	ADDQ $34, DI
	ADDQ $34, R8
	ADDQ R10, R9
	DECQ CX
	JNZ  z44loop

z44done:
	MOVQ out+56(FP), DI
	ZOUT2(Z0, Z1, Z2, Z3, Y0, Y1, Y2, Y3, X0, X1, X2, X3, 0)
	ZOUT2(Z4, Z5, Z6, Z7, Y4, Y5, Y6, Y7, X4, X5, X6, X7, 32)
	VZEROUPPER
	RET

#undef ZROW4
#undef ZOUT2

// One weight row of the 4x8 tile's block, as ZROW4 over four token pairs:
// Z24..Z27 hold tokens 0,1 .. 6,7 (+128), Z13/Z14/Z15/Z30 their scales.
#define ZROW8(wrow, A0, A1, A2, A3) \
	MOVWLZX         (wrow), AX \
	VMOVD           AX, X8 \
	VCVTPH2PS       X8, X8 \
	VBROADCASTSS    X8, Z8 \
	VBROADCASTI64X4 2(wrow), Z10 \
	VPXORD          Z11, Z11, Z11 \
	VPDPBUSD        Z10, Z28, Z11 \
	VPSUBD          Z11, Z29, Z11 \
	ZPAIR8(Z24, Z13, A0) \
	ZPAIR8(Z25, Z14, A1) \
	ZPAIR8(Z26, Z15, A2) \
	ZPAIR8(Z27, Z30, A3)

#define ZPAIR8(U, S, A) \
	VMULPS      S, Z8, Z9 \
	VMOVDQA64   Z11, Z12 \
	VPDPBUSD    Z10, U, Z12 \
	VCVTDQ2PS   Z12, Z12 \
	VFMADD231PS Z12, Z9, A

// Reduces one weight row's four accumulators (Z0..Z3 as Y/X) and stores
// its eight tokens at off(DI).
#define ZOUT8(off) \
	VEXTRACTF64X4 $1, Z0, Y8 \
	VEXTRACTF64X4 $1, Z1, Y9 \
	VEXTRACTF64X4 $1, Z2, Y10 \
	VEXTRACTF64X4 $1, Z3, Y11 \
	HSUM8(Y0, X0, X12) \
	HSUM8(Y8, X8, X12) \
	HSUM8(Y1, X1, X12) \
	HSUM8(Y9, X9, X12) \
	HSUM8(Y2, X2, X12) \
	HSUM8(Y10, X10, X12) \
	HSUM8(Y3, X3, X12) \
	HSUM8(Y11, X11, X12) \
	MOVSS X0, off+0(DI) \
	MOVSS X8, off+4(DI) \
	MOVSS X1, off+8(DI) \
	MOVSS X9, off+12(DI) \
	MOVSS X2, off+16(DI) \
	MOVSS X10, off+20(DI) \
	MOVSS X3, off+24(DI) \
	MOVSS X11, off+28(DI)

// Loads tokens k, k+1 of the block into U as unsigned (+128).
#define ZLOAD8(m0, m1, U) \
	VMOVDQU32    m0, Y31 \
	VINSERTI64X4 $1, m1, Z31, U \
	VPXORD       Z28, U, U

// func dotQ8_0x4x8ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[32]float32)
// Weight rows w + i*wstride (i < 4) against activation rows a + k*astride
// (k < 8): out[8*i+k]. Every activation block and weight block is loaded
// once for the 32 pairs.
TEXT ·dotQ8_0x4x8ZVNNI(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ wstride+8(FP), R12
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), DX
	MOVQ s+32(FP), R9
	MOVQ sstride+40(FP), R10
	MOVQ nb+48(FP), CX
	LEAQ (SI)(R12*1), R13
	LEAQ (SI)(R12*2), BX
	LEAQ (BX)(R12*1), R11
	LEAQ (DI)(DX*2), R8
	ADDQ DX, R8         // R8: token 3
	LEAQ (R8)(DX*2), R12
	ADDQ DX, R12        // R12: token 6
	VPXORD    Z29, Z29, Z29
	MOVL      $0x80808080, AX
	VPBROADCASTD AX, Z28
	MOVL      $0xFF00, AX
	KMOVW     AX, K3
	VPXORD    Z0, Z0, Z0
	VPXORD    Z1, Z1, Z1
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	VPXORD    Z4, Z4, Z4
	VPXORD    Z5, Z5, Z5
	VPXORD    Z6, Z6, Z6
	VPXORD    Z7, Z7, Z7
	VPXORD    Z16, Z16, Z16
	VPXORD    Z17, Z17, Z17
	VPXORD    Z18, Z18, Z18
	VPXORD    Z19, Z19, Z19
	VPXORD    Z20, Z20, Z20
	VPXORD    Z21, Z21, Z21
	VPXORD    Z22, Z22, Z22
	VPXORD    Z23, Z23, Z23
	TESTQ     CX, CX
	JLE       z48done

z48loop:
	ZLOAD8(2(DI), 2(DI)(DX*1), Z24)
	ZLOAD8(2(DI)(DX*2), 2(R8), Z25)
	ZLOAD8(2(R8)(DX*1), 2(R8)(DX*2), Z26)
	ZLOAD8(2(R12), 2(R12)(DX*1), Z27)
	VBROADCASTSS 0(R9), Z13
	VBROADCASTSS 4(R9), K3, Z13
	VBROADCASTSS 8(R9), Z14
	VBROADCASTSS 12(R9), K3, Z14
	VBROADCASTSS 16(R9), Z15
	VBROADCASTSS 20(R9), K3, Z15
	VBROADCASTSS 24(R9), Z30
	VBROADCASTSS 28(R9), K3, Z30
	ZROW8(SI, Z0, Z1, Z2, Z3)
	ZROW8(R13, Z4, Z5, Z6, Z7)
	ZROW8(BX, Z16, Z17, Z18, Z19)
	ZROW8(R11, Z20, Z21, Z22, Z23)
	ADDQ $34, SI
	ADDQ $34, R13
	ADDQ $34, BX
	ADDQ $34, R11
	ADDQ $34, DI
	ADDQ $34, R8
	ADDQ $34, R12
	ADDQ R10, R9
	DECQ CX
	JNZ  z48loop

z48done:
	MOVQ out+56(FP), DI
	ZOUT8(0)
	VMOVDQA64 Z4, Z0
	VMOVDQA64 Z5, Z1
	VMOVDQA64 Z6, Z2
	VMOVDQA64 Z7, Z3
	ZOUT8(32)
	VMOVDQA64 Z16, Z0
	VMOVDQA64 Z17, Z1
	VMOVDQA64 Z18, Z2
	VMOVDQA64 Z19, Z3
	ZOUT8(64)
	VMOVDQA64 Z20, Z0
	VMOVDQA64 Z21, Z1
	VMOVDQA64 Z22, Z2
	VMOVDQA64 Z23, Z3
	ZOUT8(96)
	VZEROUPPER
	RET

#undef ZROW8
#undef ZPAIR8
#undef ZOUT8
#undef ZLOAD8
