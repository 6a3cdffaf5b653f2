#include "textflag.h"

// The AVX2 kernels accumulate exactly as llama.cpp's x86 code does (ggml's
// ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS): one 8-lane float
// accumulator updated by FMA, then the same horizontal sum, so results match
// llama.cpp bit for bit on AVX2 machines.

// HSUM8 reduces the 8 lanes of Y(r) to its low lane: (lo+hi), then
// movehl, then movehdup, as ggml's hsum_float_8. Clobbers X(t).
#define HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// func dotQ8_0AVX2(x, y *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS    Y0, Y0, Y0
	VPCMPEQW  Y15, Y15, Y15
	VPSRLW    $15, Y15, Y15 // sixteen int16 ones
	TESTQ     CX, CX
	JLE       q8done

q8loop:
	MOVWLZX   (SI), AX
	MOVWLZX   (DI), BX
	VMOVD     AX, X1
	VMOVD     BX, X2
	VCVTPH2PS X1, X1
	VCVTPH2PS X2, X2
	VMULSS    X2, X1, X1
	VBROADCASTSS X1, Y1 // d = dx*dy in all lanes

	VMOVDQU    2(SI), Y2 // qx
	VMOVDQU    2(DI), Y3 // qy
	VPSIGNB    Y2, Y2, Y4 // |qx|
	VPSIGNB    Y2, Y3, Y5 // qy * sign(qx)
	VPMADDUBSW Y5, Y4, Y4 // pairs -> int16
	VPMADDWD   Y15, Y4, Y4 // pairs -> int32
	VCVTDQ2PS  Y4, Y4
	VFMADD231PS Y4, Y1, Y0

	ADDQ $34, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q8loop

q8done:
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF32AVX2(x, y *float32, n int) float32
// n is a multiple of 8.
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	TESTQ  CX, CX
	JLE    f32done

f32loop:
	VMOVUPS     (SI), Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  f32loop

f32done:
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF16AVX2(x, y *uint16, n int) float32
// n is a multiple of 8.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	TESTQ  CX, CX
	JLE    f16done

f16loop:
	VCVTPH2PS   (SI), Y1
	VCVTPH2PS   (DI), Y2
	VFMADD231PS Y2, Y1, Y0
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  f16loop

f16done:
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// The matmul kernels take the activation scales as float32 (converted once
// per input by Activations) at s, s+sstride, ... (sstride in bytes), instead
// of reading them from the blocks; the products and sums are unchanged.

// One block of the single-row kernel at byte offset off of w (SI) and a (DI),
// with the activation scale at (R9): acc Y0 += d * (w . a).
#define BLOCK1(off, soff) \
	MOVWLZX      off(SI), AX \
	VMOVD        AX, X1 \
	VCVTPH2PS    X1, X1 \
	VMULSS       soff, X1, X1 \
	VBROADCASTSS X1, Y1 \
	VMOVDQU      2+off(SI), Y2 \
	VMOVDQU      2+off(DI), Y3 \
	VPSIGNB      Y2, Y2, Y4 \
	VPSIGNB      Y2, Y3, Y5 \
	VPMADDUBSW   Y5, Y4, Y4 \
	VPMADDWD     Y15, Y4, Y4 \
	VCVTDQ2PS    Y4, Y4 \
	VFMADD231PS  Y4, Y1, Y0

// func dotQ8_0SAVX2(w, a *byte, s *float32, sstride, nb int) float32
TEXT ·dotQ8_0SAVX2(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ s+16(FP), R9
	MOVQ sstride+24(FP), R10
	MOVQ nb+32(FP), CX
	VXORPS   Y0, Y0, Y0
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $15, Y15, Y15
	CMPQ     CX, $2
	JLT      s1tail

s1loop:
	BLOCK1(0, (R9))
	BLOCK1(34, (R9)(R10*1))
	ADDQ $68, SI
	ADDQ $68, DI
	LEAQ (R9)(R10*2), R9
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  s1loop

s1tail:
	TESTQ CX, CX
	JLE   s1done
	BLOCK1(0, (R9))

s1done:
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+40(FP)
	RET

// One activation row of the four-row tile: Y6 = |w|, Y5 = w, Y9 = the four
// scale products twice; imm picks this row's product.
#define ROW4(qs, imm, Yacc) \
	VMOVDQU     qs, Y8 \
	VPSIGNB     Y5, Y8, Y8 \
	VPMADDUBSW  Y8, Y6, Y8 \
	VPMADDWD    Y15, Y8, Y8 \
	VCVTDQ2PS   Y8, Y8 \
	VPERMILPS   imm, Y9, Y7 \
	VFMADD231PS Y8, Y7, Yacc

// func dotQ8_0x4SAVX2(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)
// Rows a, a+stride, a+2*stride, a+3*stride; their scales for block b are
// the four floats at s + b*sstride.
TEXT ·dotQ8_0x4SAVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ s+24(FP), R9
	MOVQ sstride+32(FP), R10
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*2), R8
	VXORPS   Y0, Y0, Y0
	VXORPS   Y1, Y1, Y1
	VXORPS   Y2, Y2, Y2
	VXORPS   Y3, Y3, Y3
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $15, Y15, Y15
	TESTQ    CX, CX
	JLE      s4done

s4loop:
	MOVWLZX        (SI), AX
	VMOVD          AX, X4
	VCVTPH2PS      X4, X4
	VBROADCASTSS   X4, Y4
	VBROADCASTF128 (R9), Y9
	VMULPS         Y9, Y4, Y9
	VMOVDQU        2(SI), Y5
	VPSIGNB        Y5, Y5, Y6
	ROW4(2(DI), $0x00, Y0)
	ROW4(2(DI)(DX*1), $0x55, Y1)
	ROW4(2(R8), $0xAA, Y2)
	ROW4(2(R8)(DX*1), $0xFF, Y3)
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $34, R8
	ADDQ R10, R9
	DECQ CX
	JNZ  s4loop

s4done:
	MOVQ out+48(FP), DI
	HSUM8(Y0, X0, X8)
	HSUM8(Y1, X1, X8)
	HSUM8(Y2, X2, X8)
	HSUM8(Y3, X3, X8)
	VZEROUPPER
	MOVSS X0, 0(DI)
	MOVSS X1, 4(DI)
	MOVSS X2, 8(DI)
	MOVSS X3, 12(DI)
	RET

// Byte order that splits each 16-byte half of a Q8_0 block into its
// "even pairs" (bytes 4l, 4l+1) and "odd pairs" (4l+2, 4l+3).
DATA q8pairs<>+0(SB)/8, $0x0d0c090805040100
DATA q8pairs<>+8(SB)/8, $0x0f0e0b0a07060302
DATA q8pairs<>+16(SB)/8, $0x0d0c090805040100
DATA q8pairs<>+24(SB)/8, $0x0f0e0b0a07060302
GLOBL q8pairs<>(SB), RODATA|NOPTR, $32

// One input row of the eight-row tile, from its widened block at mem
// (int16: 16 even-pair values, then 16 odd-pair values). Y8/Y9 hold the
// weight block widened the same way; Ysc holds four scale products twice.
// Lane l of the int32 sum covers bytes 4l..4l+3, as in llama.cpp's kernel.
#define ROW8(mem, mem2, Ysc, imm, Yacc) \
	VPMADDWD    mem, Y8, Y12 \
	VPMADDWD    mem2, Y9, Y13 \
	VPADDD      Y13, Y12, Y12 \
	VCVTDQ2PS   Y12, Y12 \
	VPERMILPS   imm, Ysc, Y13 \
	VFMADD231PS Y12, Y13, Yacc

// func dotQ8_0x8WAVX2(w *byte, a *int16, stride int, s *float32, sstride, nb int, out *[8]float32)
// One weight row against eight input rows held widened to int16 (64 bytes
// per block, rows stride bytes apart); scales for block b are the eight
// floats at s + b*sstride.
TEXT ·dotQ8_0x8WAVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ s+24(FP), R9
	MOVQ sstride+32(FP), R10
	MOVQ nb+40(FP), CX
	LEAQ (DI)(DX*2), R8  // row 2
	LEAQ (R8)(DX*2), R11 // row 4
	LEAQ (R11)(DX*2), R12 // row 6
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU q8pairs<>(SB), Y14
	TESTQ  CX, CX
	JLE    w8done

w8loop:
	// Widen the weight block: even pairs to Y8, odd pairs to Y9.
	VMOVDQU      2(SI), Y8
	VPSHUFB      Y14, Y8, Y8
	VPERMQ       $0xd8, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPMOVSXBW    X9, Y9
	VPMOVSXBW    X8, Y8
	// Scale products dw*da for the eight rows, as two groups of four.
	MOVWLZX        (SI), AX
	VMOVD          AX, X10
	VCVTPH2PS      X10, X10
	VBROADCASTSS   X10, Y13
	VBROADCASTF128 (R9), Y10
	VBROADCASTF128 16(R9), Y11
	VMULPS         Y10, Y13, Y10
	VMULPS         Y11, Y13, Y11

	ROW8((DI), 32(DI), Y10, $0x00, Y0)
	ROW8((DI)(DX*1), 32(DI)(DX*1), Y10, $0x55, Y1)
	ROW8((R8), 32(R8), Y10, $0xAA, Y2)
	ROW8((R8)(DX*1), 32(R8)(DX*1), Y10, $0xFF, Y3)
	ROW8((R11), 32(R11), Y11, $0x00, Y4)
	ROW8((R11)(DX*1), 32(R11)(DX*1), Y11, $0x55, Y5)
	ROW8((R12), 32(R12), Y11, $0xAA, Y6)
	ROW8((R12)(DX*1), 32(R12)(DX*1), Y11, $0xFF, Y7)

	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ R10, R9
	DECQ CX
	JNZ  w8loop

w8done:
	MOVQ out+48(FP), DI
	HSUM8(Y0, X0, X8)
	HSUM8(Y1, X1, X8)
	HSUM8(Y2, X2, X8)
	HSUM8(Y3, X3, X8)
	HSUM8(Y4, X4, X8)
	HSUM8(Y5, X5, X8)
	HSUM8(Y6, X6, X8)
	HSUM8(Y7, X7, X8)
	VZEROUPPER
	MOVSS X0, 0(DI)
	MOVSS X1, 4(DI)
	MOVSS X2, 8(DI)
	MOVSS X3, 12(DI)
	MOVSS X4, 16(DI)
	MOVSS X5, 20(DI)
	MOVSS X6, 24(DI)
	MOVSS X7, 28(DI)
	RET
