#include "textflag.h"

// The value sums of attention as lane chains held in registers (AVX2,
// FMA, F16C). llama.cpp's order gives each output value L independent
// FMA chains (L = 16 for an F32 cache, 64 for an F16 cache without flash
// attention), chain l summing positions l, l+L, l+2L, ... in order. The
// older kernels walk the positions in order and load and store a lane row
// at every one; these walk two chains (lanes l and l+1) of a 32-column
// strip at a time, their eight accumulators in registers, so a position
// costs one broadcast and four FMAs from memory. Same FMAs, same order,
// same bits.

// Loads and stores the two lane rows: row l at (DI), row l+1 at (R12).
#define LOADPAIR \
	VMOVUPS (DI), Y0    \
	VMOVUPS 32(DI), Y1  \
	VMOVUPS 64(DI), Y2  \
	VMOVUPS 96(DI), Y3  \
	VMOVUPS (R12), Y4   \
	VMOVUPS 32(R12), Y5 \
	VMOVUPS 64(R12), Y6 \
	VMOVUPS 96(R12), Y7

#define STOREPAIR \
	VMOVUPS Y0, (DI)    \
	VMOVUPS Y1, 32(DI)  \
	VMOVUPS Y2, 64(DI)  \
	VMOVUPS Y3, 96(DI)  \
	VMOVUPS Y4, (R12)   \
	VMOVUPS Y5, 32(R12) \
	VMOVUPS Y6, 64(R12) \
	VMOVUPS Y7, 96(R12)

// func wsumPairF32AVX2(lanes *float32, lstride int, v *float32, vstride int, w *float32, nl, npair, extra int)
// Lane rows l (lanes) and l+1 (lanes+lstride bytes), 32 floats each:
// for i < npair, row l += w[i*nl] * v[i*nl] and row l+1 += w[i*nl+1] *
// v[i*nl+1] (v rows vstride bytes apart, w and v starting at position l);
// then, if extra is 1, row l once more at i = npair.
TEXT ·wsumPairF32AVX2(SB), NOSPLIT, $0-64
	MOVQ  lanes+0(FP), DI
	MOVQ  lstride+8(FP), DX
	MOVQ  v+16(FP), SI
	MOVQ  vstride+24(FP), R9
	MOVQ  w+32(FP), R8
	MOVQ  nl+40(FP), R10
	MOVQ  npair+48(FP), CX
	MOVQ  extra+56(FP), BX
	LEAQ  (DI)(DX*1), R12
	MOVQ  R10, R11
	IMULQ R9, R11         // V bytes from one chain element to the next
	SHLQ  $2, R10         // weight bytes likewise
	LOADPAIR
	TESTQ CX, CX
	JLE   pf32one

pf32loop:
	VBROADCASTSS (R8), Y8
	VBROADCASTSS 4(R8), Y9
	VFMADD231PS  (SI), Y8, Y0
	VFMADD231PS  32(SI), Y8, Y1
	VFMADD231PS  64(SI), Y8, Y2
	VFMADD231PS  96(SI), Y8, Y3
	VFMADD231PS  (SI)(R9*1), Y9, Y4
	VFMADD231PS  32(SI)(R9*1), Y9, Y5
	VFMADD231PS  64(SI)(R9*1), Y9, Y6
	VFMADD231PS  96(SI)(R9*1), Y9, Y7
	ADDQ         R11, SI
	ADDQ         R10, R8
	DECQ         CX
	JNZ          pf32loop

pf32one:
	TESTQ        BX, BX
	JZ           pf32store
	VBROADCASTSS (R8), Y8
	VFMADD231PS  (SI), Y8, Y0
	VFMADD231PS  32(SI), Y8, Y1
	VFMADD231PS  64(SI), Y8, Y2
	VFMADD231PS  96(SI), Y8, Y3

pf32store:
	STOREPAIR
	VZEROUPPER
	RET

// One F16 weight at off(R8), widened and broadcast into Y(r) via X(r).
#define BCASTH(off, Xr, Yr) \
	VPBROADCASTW off(R8), Xr \
	VCVTPH2PS    Xr, Yr

// func wsumPairF16AVX2(lanes *float32, lstride int, v *uint16, vstride int, w *uint16, nl, npair, extra int)
// wsumPairF32AVX2 for F16 values and weights (widened exactly).
TEXT ·wsumPairF16AVX2(SB), NOSPLIT, $0-64
	MOVQ  lanes+0(FP), DI
	MOVQ  lstride+8(FP), DX
	MOVQ  v+16(FP), SI
	MOVQ  vstride+24(FP), R9
	MOVQ  w+32(FP), R8
	MOVQ  nl+40(FP), R10
	MOVQ  npair+48(FP), CX
	MOVQ  extra+56(FP), BX
	LEAQ  (DI)(DX*1), R12
	MOVQ  R10, R11
	IMULQ R9, R11
	SHLQ  $1, R10
	LOADPAIR
	TESTQ CX, CX
	JLE   pf16one

pf16loop:
	BCASTH(0, X8, Y8)
	BCASTH(2, X9, Y9)
	VCVTPH2PS   (SI), Y10
	VCVTPH2PS   16(SI), Y11
	VCVTPH2PS   32(SI), Y12
	VCVTPH2PS   48(SI), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3
	VCVTPH2PS   (SI)(R9*1), Y10
	VCVTPH2PS   16(SI)(R9*1), Y11
	VCVTPH2PS   32(SI)(R9*1), Y12
	VCVTPH2PS   48(SI)(R9*1), Y13
	VFMADD231PS Y10, Y9, Y4
	VFMADD231PS Y11, Y9, Y5
	VFMADD231PS Y12, Y9, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ        R11, SI
	ADDQ        R10, R8
	DECQ        CX
	JNZ         pf16loop

pf16one:
	TESTQ       BX, BX
	JZ          pf16store
	BCASTH(0, X8, Y8)
	VCVTPH2PS   (SI), Y10
	VCVTPH2PS   16(SI), Y11
	VCVTPH2PS   32(SI), Y12
	VCVTPH2PS   48(SI), Y13
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y8, Y3

pf16store:
	STOREPAIR
	VZEROUPPER
	RET
