// Q8_0 × Q8_0 dot kernels, written once and assembled twice by
// type_q8_0_amd64.s: with I8DOTPS on AVX2 (VPMADDUBSW + VPMADDWD) and on
// AVX-512 VNNI (VPDPBUSD). The integer sums are exact either way and the
// float accumulation is the same, so both equal the plain twin bit for bit,
// as llama.cpp's mul_sum_us8_pairs_float is the same on both.
//
// The includer defines: Q8DOT, Q8DOTS, Q8DOTX4, Q8DOTX2X4 (the symbols);
// I8DOTINIT (set up constants); I8DOTPS(s, u, d): d = float32 of the eight
// int32 sums of u[i]*s[i] over each four bytes (u unsigned, s signed), d
// may be s or u; HSUM8 (as in dot_amd64.s).

// func dotQ8_0*(x, y *byte, nb int) float32
TEXT Q8DOT(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS    Y0, Y0, Y0
	I8DOTINIT
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
	I8DOTPS(Y5, Y4, Y4)
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
	I8DOTPS(Y5, Y4, Y4) \
	VFMADD231PS  Y4, Y1, Y0

// func dotQ8_0S*(w, a *byte, s *float32, sstride, nb int) float32
TEXT Q8DOTS(SB), NOSPLIT, $0-44
	MOVQ w+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ s+16(FP), R9
	MOVQ sstride+24(FP), R10
	MOVQ nb+32(FP), CX
	VXORPS   Y0, Y0, Y0
	I8DOTINIT
	CMPQ     CX, $2
	JLT      s1tail

s1loop:
	// Weights stream from memory once per token; asking ~30 blocks ahead
	// measured 5-10% faster than the hardware prefetcher alone.
	PREFETCHT0 1024(SI)
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
	I8DOTPS(Y8, Y6, Y8) \
	VPERMILPS   imm, Y9, Y7 \
	VFMADD231PS Y8, Y7, Yacc

// func dotQ8_0x4S*(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)
// Rows a, a+stride, a+2*stride, a+3*stride; their scales for block b are
// the four floats at s + b*sstride.
TEXT Q8DOTX4(SB), NOSPLIT, $0-56
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
	I8DOTINIT
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

// One (weight row, activation row) pair of the 2x4 tile: Y12 holds the
// activation quants, absw the weight row's |quants|, wmem its quants, P the
// four scale products of the weight row (twice); imm picks this token's.
#define PAIR24(absw, wmem, P, imm, Yacc) \
	VPSIGNB     wmem, Y12, Y13 \
	I8DOTPS(Y13, absw, Y13) \
	VPERMILPS   imm, P, Y14 \
	VFMADD231PS Y13, Y14, Yacc

// func dotQ8_0x2x4S*(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)
// Weight rows w and w+wstride against activation rows a, a+astride, ...,
// a+3*astride (scales for block b: the four floats at s + b*sstride).
// Each weight block and activation block is loaded once for the 8 pairs;
// every pair accumulates exactly as the single-row kernel does. out[k] is
// row 0 with token k, out[4+k] row 1 with token k.
TEXT Q8DOTX2X4(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ wstride+8(FP), R12
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), DX
	MOVQ s+32(FP), R9
	MOVQ sstride+40(FP), R10
	MOVQ nb+48(FP), CX
	LEAQ (SI)(R12*1), R13
	LEAQ (DI)(DX*2), R8
	VXORPS   Y0, Y0, Y0
	VXORPS   Y1, Y1, Y1
	VXORPS   Y2, Y2, Y2
	VXORPS   Y3, Y3, Y3
	VXORPS   Y4, Y4, Y4
	VXORPS   Y5, Y5, Y5
	VXORPS   Y6, Y6, Y6
	VXORPS   Y7, Y7, Y7
	I8DOTINIT
	TESTQ    CX, CX
	JLE      t24done

t24loop:
	MOVWLZX        (SI), AX
	VMOVD          AX, X10
	VCVTPH2PS      X10, X10
	VBROADCASTSS   X10, Y10
	MOVWLZX        (R13), AX
	VMOVD          AX, X11
	VCVTPH2PS      X11, X11
	VBROADCASTSS   X11, Y11
	VBROADCASTF128 (R9), Y12
	VMULPS         Y12, Y10, Y10
	VMULPS         Y12, Y11, Y11
	VMOVDQU        2(SI), Y8
	VPSIGNB        Y8, Y8, Y8
	VMOVDQU        2(R13), Y9
	VPSIGNB        Y9, Y9, Y9

	VMOVDQU 2(DI), Y12
	PAIR24(Y8, 2(SI), Y10, $0x00, Y0)
	PAIR24(Y9, 2(R13), Y11, $0x00, Y4)
	VMOVDQU 2(DI)(DX*1), Y12
	PAIR24(Y8, 2(SI), Y10, $0x55, Y1)
	PAIR24(Y9, 2(R13), Y11, $0x55, Y5)
	VMOVDQU 2(R8), Y12
	PAIR24(Y8, 2(SI), Y10, $0xAA, Y2)
	PAIR24(Y9, 2(R13), Y11, $0xAA, Y6)
	VMOVDQU 2(R8)(DX*1), Y12
	PAIR24(Y8, 2(SI), Y10, $0xFF, Y3)
	PAIR24(Y9, 2(R13), Y11, $0xFF, Y7)

	ADDQ $34, SI
	ADDQ $34, R13
	ADDQ $34, DI
	ADDQ $34, R8
	ADDQ R10, R9
	DECQ CX
	JNZ  t24loop

t24done:
	MOVQ out+56(FP), DI
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

#undef BLOCK1
#undef ROW4
#undef PAIR24
