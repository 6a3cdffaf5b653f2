#include "textflag.h"

// The AVX2 kernels accumulate exactly as llama.cpp's x86 code does (ggml's
// ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS): one 8-lane float
// accumulator updated by FMA, then the same horizontal sum, so results match
// llama.cpp bit for bit on AVX2 machines.

#include "hsum_amd64.h"

// func dotF32GGML512AVX2(x, y *float32, n int) float32
// ggml_vec_dot_f32 as llama.cpp's AVX-512 build runs it, on AVX2: four
// 16-lane FMA accumulators (two YMM each) over steps of 64, folded 0+2,
// 1+3, 0+1, then _mm512_reduce_add_ps's order (halves, quarters, pairs).
// n is a multiple of 64.
TEXT ·dotF32GGML512AVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $6, CX
	ZERO8
	TESTQ  CX, CX
	JLE    g5done

g5loop:
	F32STEP64(SI, DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	DECQ        CX
	JNZ         g5loop

g5done:
	FOLD8
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotsF32GGML512AVX2(k *float32, kstride int, q *float32, n, npos int, out *float32, scale float32)
// out[j] = DotF32GGML(k[j*kstride:][:n], q) * scale for j < npos (kstride in
// bytes, n a multiple of 64): the scores of one head, one call per block.
TEXT ·dotsF32GGML512AVX2(SB), NOSPLIT, $0-52
	MOVQ         k+0(FP), SI
	MOVQ         kstride+8(FP), DX
	MOVQ         q+16(FP), R8
	MOVQ         n+24(FP), R9
	MOVQ         npos+32(FP), CX
	MOVQ         out+40(FP), DI
	SHRQ         $6, R9
	TESTQ        CX, CX
	JLE          gsdone

gspos:
	ZERO8
	MOVQ   SI, R10
	MOVQ   R8, R11
	MOVQ   R9, BX

gsstep:
	F32STEP64(R10, R11)
	ADDQ        $256, R10
	ADDQ        $256, R11
	DECQ        BX
	JNZ         gsstep

	FOLD8
	HSUM8(Y0, X0, X1)
	VMULSS scale+48(FP), X0, X0
	MOVSS  X0, (DI)
	ADDQ   $4, DI
	ADDQ   DX, SI
	DECQ   CX
	JNZ    gspos

gsdone:
	VZEROUPPER
	RET

// func wsumLanesAVX2(lanes, v *float32, vstride int, w *float32, npos, ncols int)
// For p < npos: lanes[(p%16)*ncols + c] = fma(w[p], v[p*vstride + c], same)
// for c < ncols (a multiple of 8, vstride in bytes): the 16 lane sums of
// llama.cpp's AVX-512 tinyBLAS, walking V row by row.
TEXT ·wsumLanesAVX2(SB), NOSPLIT, $0-48
	MOVQ lanes+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ vstride+16(FP), DX
	MOVQ w+24(FP), R8
	MOVQ npos+32(FP), R9
	MOVQ ncols+40(FP), CX
	SHLQ $2, CX // lane row in bytes
	XORQ AX, AX // position

wlpos:
	CMPQ         AX, R9
	JGE          wldone
	VBROADCASTSS (R8)(AX*4), Y1
	MOVQ         AX, R10
	ANDQ         $15, R10
	IMULQ        CX, R10
	ADDQ         DI, R10 // this position's lane row
	XORQ         BX, BX  // byte offset within the row

wlcol:
	VMOVUPS     (R10)(BX*1), Y0
	VFMADD231PS (SI)(BX*1), Y1, Y0
	VMOVUPS     Y0, (R10)(BX*1)
	ADDQ        $32, BX
	CMPQ        BX, CX
	JLT         wlcol

	ADDQ DX, SI
	INCQ AX
	JMP  wlpos

wldone:
	VZEROUPPER
	RET

// Constants of ggml_v_expf (and of the scaling around it), one float each.
DATA expc<>+0(SB)/4, $0x3fb8aa3b  // log2(e)      0x1.715476p+0
DATA expc<>+4(SB)/4, $0x4b400000  // shift        0x1.8p23
DATA expc<>+8(SB)/4, $0x3f317200  // ln2 high     0x1.62e4p-1
DATA expc<>+12(SB)/4, $0x35bfbe8e // ln2 low      0x1.7f7d1cp-20
DATA expc<>+16(SB)/4, $0x3c072010 // c5           0x1.0e4020p-7
DATA expc<>+20(SB)/4, $0x3d2b9f17 // c4           0x1.573e2ep-5
DATA expc<>+24(SB)/4, $0x3e2aaf33 // c3           0x1.555e66p-3
DATA expc<>+28(SB)/4, $0x3efffedb // c2           0x1.fffdb6p-2
DATA expc<>+32(SB)/4, $0x3f7ffff6 // c1           0x1.ffffecp-1
DATA expc<>+36(SB)/4, $0x3f800000 // 1.0
DATA expc<>+40(SB)/4, $0xc3400000 // -192.0
DATA expc<>+44(SB)/4, $0xffffff82 // -126 (int)
DATA expc<>+48(SB)/4, $100        // 100 (int)
DATA expc<>+52(SB)/4, $127        // 127 (int)
DATA expc<>+56(SB)/4, $0x0d800000 // 2^-100
GLOBL expc<>(SB), RODATA|NOPTR, $60

// func expSubAVX2(x *float32, n int, m float32)
// x[i] = expV(x[i] - m) for i < n (a multiple of 8), eight lanes at a time,
// each lane exactly as ggml_v_expf's AVX-512 build: float32 FMAs, then
// scalef(j, n) (done as one or two exact-then-rounding multiplies). Only
// for x[i] <= m (softmax), where n <= 0.
TEXT ·expSubAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	SHRQ         $3, CX
	TESTQ        CX, CX
	JLE          exdone

exloop:
	VMOVUPS      (DI), Y0
	VSUBPS       Y15, Y0, Y0 // x - m
	VBROADCASTSS expc<>+4(SB), Y1
	VBROADCASTSS expc<>+0(SB), Y2
	VFMADD231PS  Y2, Y0, Y1 // z = x*log2e + shift
	VBROADCASTSS expc<>+4(SB), Y2
	VSUBPS       Y2, Y1, Y1 // n = z - shift
	VMOVAPS      Y0, Y3
	VBROADCASTSS expc<>+8(SB), Y2
	VFNMADD231PS Y2, Y1, Y3 // x - n*ln2hi
	VBROADCASTSS expc<>+12(SB), Y2
	VFNMADD231PS Y2, Y1, Y3 // b = that - n*ln2lo
	VMULPS       Y3, Y3, Y4 // u = b*b
	VBROADCASTSS expc<>+20(SB), Y5
	VBROADCASTSS expc<>+16(SB), Y2
	VFMADD231PS  Y2, Y3, Y5 // p1 = c5*b + c4
	VBROADCASTSS expc<>+28(SB), Y6
	VBROADCASTSS expc<>+24(SB), Y2
	VFMADD231PS  Y2, Y3, Y6 // p2 = c3*b + c2
	VBROADCASTSS expc<>+36(SB), Y7
	VBROADCASTSS expc<>+32(SB), Y2
	VFMADD231PS  Y2, Y3, Y7 // p3 = c1*b + 1
	VFMADD231PS  Y4, Y5, Y6 // q = p1*u + p2
	VFMADD231PS  Y4, Y6, Y7 // j = q*u + p3

	// scalef(j, n): 2^n as a float when n >= -126; else j*2^(n+100) (exact)
	// then *2^-100 (the one rounding).
	VCVTTPS2DQ     Y1, Y8
	VPBROADCASTD   expc<>+44(SB), Y9
	VPCMPGTD       Y8, Y9, Y9 // mask: n < -126
	VPBROADCASTD   expc<>+48(SB), Y10
	VPAND          Y9, Y10, Y10
	VPADDD         Y10, Y8, Y8
	VPBROADCASTD   expc<>+52(SB), Y10
	VPADDD         Y10, Y8, Y8
	VPSLLD         $23, Y8, Y8 // 2^(n or n+100)
	VMULPS         Y8, Y7, Y7
	VBROADCASTSS   expc<>+56(SB), Y10
	VBROADCASTSS   expc<>+36(SB), Y11
	VBLENDVPS      Y9, Y10, Y11, Y10 // 2^-100 where masked, else 1
	VMULPS         Y10, Y7, Y7
	// n < -192: 0 (NaN compares false and stays NaN).
	VBROADCASTSS   expc<>+40(SB), Y10
	VCMPPS         $1, Y10, Y1, Y10
	VANDNPS        Y7, Y10, Y7
	VMOVUPS        Y7, (DI)
	ADDQ           $32, DI
	DECQ           CX
	JNZ            exloop

exdone:
	VZEROUPPER
	RET

// The AVX-512 build's fold of four 16-lane accumulators (Y0:Y1, Y2:Y3,
// Y4:Y5, Y6:Y7 hold lanes 0-7 : 8-15 of each): GGML_F32x16_REDUCE adds
// 0+2 and 1+3, then 0+1, and _mm512_reduce_add_ps sums the 16 lanes
// (lane i with i+8, then halves, then (0+2)+(1+3)). Result in X0.
#define FOLD4X16 \
	FOLD8 \
	HSUM8(Y0, X0, X1)

// func dotF16GGML512AVX2(x, y *uint16, n int) float32
// ggml_vec_dot_f16 of the AVX-512 build on AVX2: halves widened, four
// 16-lane FMA accumulators over steps of 64, folded as FOLD4X16. n is a
// multiple of 64.
TEXT ·dotF16GGML512AVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $6, CX
	ZERO8
	TESTQ  CX, CX
	JLE    h5done

h5loop:
	VCVTPH2PS   (SI), Y8
	VCVTPH2PS   (DI), Y9
	VFMADD231PS Y9, Y8, Y0
	VCVTPH2PS   16(SI), Y10
	VCVTPH2PS   16(DI), Y11
	VFMADD231PS Y11, Y10, Y1
	VCVTPH2PS   32(SI), Y12
	VCVTPH2PS   32(DI), Y13
	VFMADD231PS Y13, Y12, Y2
	VCVTPH2PS   48(SI), Y14
	VCVTPH2PS   48(DI), Y15
	VFMADD231PS Y15, Y14, Y3
	VCVTPH2PS   64(SI), Y8
	VCVTPH2PS   64(DI), Y9
	VFMADD231PS Y9, Y8, Y4
	VCVTPH2PS   80(SI), Y10
	VCVTPH2PS   80(DI), Y11
	VFMADD231PS Y11, Y10, Y5
	VCVTPH2PS   96(SI), Y12
	VCVTPH2PS   96(DI), Y13
	VFMADD231PS Y13, Y12, Y6
	VCVTPH2PS   112(SI), Y14
	VCVTPH2PS   112(DI), Y15
	VFMADD231PS Y15, Y14, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         h5loop

h5done:
	FOLD4X16
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF32L16AVX2(x, y *float32, n int) float32
// AVX-512 tinyBLAS for F32 weights: one 16-lane FMA accumulator (Y0:Y1)
// over steps of 16, summed in _mm512_reduce_add_ps order. n is a multiple
// of 16.
TEXT ·dotF32L16AVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $4, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ  CX, CX
	JLE    t16done

t16loop:
	VMOVUPS     (SI), Y2
	VFMADD231PS (DI), Y2, Y0
	VMOVUPS     32(SI), Y3
	VFMADD231PS 32(DI), Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        CX
	JNZ         t16loop

t16done:
	VADDPS Y1, Y0, Y0
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF16L16AVX2(x, y *uint16, n int) float32
// tinyBLAS's F16 x F16 dot on AVX-512 (n a multiple of 16): value i feeds
// lane i%16 (Y0 lanes 0-7, Y1 lanes 8-15) by FMA, then reduce16's order.
TEXT ·dotF16L16AVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	SHRQ   $4, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ  CX, CX
	JLE    h16done

h16loop:
	VCVTPH2PS   (SI), Y2
	VCVTPH2PS   (DI), Y4
	VFMADD231PS Y4, Y2, Y0
	VCVTPH2PS   16(SI), Y3
	VCVTPH2PS   16(DI), Y5
	VFMADD231PS Y5, Y3, Y1
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         h16loop

h16done:
	VADDPS Y1, Y0, Y0
	HSUM8(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotsF16GGML512AVX2(k *uint16, kstride int, q *uint16, n, npos int, out *float32, scale float32)
// out[j] = dotF16(k[j*kstride:][:n], q) * scale for j < npos (kstride in
// bytes, n a multiple of 64): one head's scores over an F16 cache, in
// ggml_vec_dot_f16's AVX-512 order.
TEXT ·dotsF16GGML512AVX2(SB), NOSPLIT, $0-52
	MOVQ  k+0(FP), SI
	MOVQ  kstride+8(FP), DX
	MOVQ  q+16(FP), R8
	MOVQ  n+24(FP), R9
	MOVQ  npos+32(FP), CX
	MOVQ  out+40(FP), DI
	SHRQ  $6, R9
	TESTQ CX, CX
	JLE   hsdone

hspos:
	ZERO8
	MOVQ   SI, R10
	MOVQ   R8, R11
	MOVQ   R9, BX

hsstep:
	VCVTPH2PS   (R10), Y8
	VCVTPH2PS   (R11), Y9
	VFMADD231PS Y9, Y8, Y0
	VCVTPH2PS   16(R10), Y10
	VCVTPH2PS   16(R11), Y11
	VFMADD231PS Y11, Y10, Y1
	VCVTPH2PS   32(R10), Y12
	VCVTPH2PS   32(R11), Y13
	VFMADD231PS Y13, Y12, Y2
	VCVTPH2PS   48(R10), Y14
	VCVTPH2PS   48(R11), Y15
	VFMADD231PS Y15, Y14, Y3
	VCVTPH2PS   64(R10), Y8
	VCVTPH2PS   64(R11), Y9
	VFMADD231PS Y9, Y8, Y4
	VCVTPH2PS   80(R10), Y10
	VCVTPH2PS   80(R11), Y11
	VFMADD231PS Y11, Y10, Y5
	VCVTPH2PS   96(R10), Y12
	VCVTPH2PS   96(R11), Y13
	VFMADD231PS Y13, Y12, Y6
	VCVTPH2PS   112(R10), Y14
	VCVTPH2PS   112(R11), Y15
	VFMADD231PS Y15, Y14, Y7
	ADDQ        $128, R10
	ADDQ        $128, R11
	DECQ        BX
	JNZ         hsstep

	FOLD4X16
	VMULSS scale+48(FP), X0, X0
	MOVSS  X0, (DI)
	ADDQ   $4, DI
	ADDQ   DX, SI
	DECQ   CX
	JNZ    hspos

hsdone:
	VZEROUPPER
	RET

// func madF16AVX2(acc *float32, v *uint16, vstride int, ms, vs *float32, npos, ncols int)
// For each position p < npos in order: acc = f16(acc * ms[p]) unless
// ms[p] == 1, then acc = f16(fma(v[p*vstride:], vs[p], acc)) (vstride in
// bytes, ncols a multiple of 8; acc holds F16 values widened): flash
// attention's ggml_vec_scale_f16 and ggml_vec_mad_f16 on its F16 sum.
TEXT ·madF16AVX2(SB), NOSPLIT, $0-56
	MOVQ         acc+0(FP), DI
	MOVQ         v+8(FP), SI
	MOVQ         vstride+16(FP), DX
	MOVQ         ms+24(FP), R8
	MOVQ         vs+32(FP), R9
	MOVQ         npos+40(FP), CX
	MOVQ         ncols+48(FP), R11
	SHLQ         $2, R11 // acc row in bytes
	VBROADCASTSS expc<>+36(SB), X15 // 1.0
	XORQ         AX, AX

mfpos:
	CMPQ         AX, CX
	JGE          mfdone
	VBROADCASTSS (R9)(AX*4), Y1
	VMOVSS       (R8)(AX*4), X2
	VUCOMISS     X15, X2
	JNE          mfscale
	JPS          mfscale
	JMP          mfadd

mfscale:
	VBROADCASTSS X2, Y2
	XORQ         BX, BX

mfscol:
	VMULPS    (DI)(BX*1), Y2, Y0
	VCVTPS2PH $0, Y0, X0
	VCVTPH2PS X0, Y0
	VMOVUPS   Y0, (DI)(BX*1)
	ADDQ      $32, BX
	CMPQ      BX, R11
	JLT       mfscol

mfadd:
	XORQ BX, BX
	XORQ R10, R10

mfacol:
	VCVTPH2PS   (SI)(R10*1), Y0
	VMOVUPS     (DI)(BX*1), Y3
	VFMADD231PS Y1, Y0, Y3
	VCVTPS2PH   $0, Y3, X3
	VCVTPH2PS   X3, Y3
	VMOVUPS     Y3, (DI)(BX*1)
	ADDQ        $16, R10
	ADDQ        $32, BX
	CMPQ        BX, R11
	JLT         mfacol

	ADDQ DX, SI
	INCQ AX
	JMP  mfpos

mfdone:
	VZEROUPPER
	RET
