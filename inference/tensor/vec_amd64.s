#include "textflag.h"
#include "hsum_amd64.h"

// Small vector steps of attention (AVX2, F16C), each the exact operation
// of its Go twin in vec.go: a maximum, a scaling, the lane reductions
// (vertical adds in reduce16's pairs, eight output values at a time) and
// the rounding to half precision.

// func maxAVX2(x *float32, n int) float32
// The largest of x[:n] (n a multiple of 8, at least 8); NaN if any is NaN.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	VCMPPS  $3, Y0, Y0, Y2 // unordered with itself: NaN
	ADDQ    $32, SI
	SUBQ    $8, CX
	JZ      mxfold

mxloop:
	VMOVUPS (SI), Y1
	VCMPPS  $3, Y1, Y1, Y3
	VORPS   Y3, Y2, Y2
	VMAXPS  Y1, Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     mxloop

mxfold:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVMSKPS    Y2, AX
	TESTL        AX, AX
	JZ           mxdone
	MOVQ         $0x7fc00000, AX
	MOVQ         AX, X0

mxdone:
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func scaleAVX2(x *float32, n int, s float32)
// x[i] *= s for i < n (a multiple of 8).
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1
	SHRQ         $3, CX
	JZ           scdone

scloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     scloop

scdone:
	VZEROUPPER
	RET

// func reduceLanesAVX2(out, lanes *float32, hd int)
// out[d] = reduce16 of lanes[l*hd+d] over l < 16, for d < hd (a multiple
// of 8): lanes l+8 into l, then l+4 into l, then (0+2)+(1+3).
TEXT ·reduceLanesAVX2(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ lanes+8(FP), SI
	MOVQ hd+16(FP), DX
	MOVQ DX, CX
	SHRQ $3, CX
	JZ   rldone
	SHLQ $2, DX        // a lane row in bytes

rlloop:
	MOVQ    SI, R8
	VMOVUPS (R8), Y0
	ADDQ    DX, R8
	VMOVUPS (R8), Y1
	ADDQ    DX, R8
	VMOVUPS (R8), Y2
	ADDQ    DX, R8
	VMOVUPS (R8), Y3
	ADDQ    DX, R8
	VMOVUPS (R8), Y4
	ADDQ    DX, R8
	VMOVUPS (R8), Y5
	ADDQ    DX, R8
	VMOVUPS (R8), Y6
	ADDQ    DX, R8
	VMOVUPS (R8), Y7
	ADDQ    DX, R8
	VADDPS  (R8), Y0, Y0
	ADDQ    DX, R8
	VADDPS  (R8), Y1, Y1
	ADDQ    DX, R8
	VADDPS  (R8), Y2, Y2
	ADDQ    DX, R8
	VADDPS  (R8), Y3, Y3
	ADDQ    DX, R8
	VADDPS  (R8), Y4, Y4
	ADDQ    DX, R8
	VADDPS  (R8), Y5, Y5
	ADDQ    DX, R8
	VADDPS  (R8), Y6, Y6
	ADDQ    DX, R8
	VADDPS  (R8), Y7, Y7
	FOLD8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rlloop

rldone:
	VZEROUPPER
	RET

// A16 sets dst to lanes l and l+8 of the 16, each (a0+a2)+(a1+a3) of the
// four accumulators' rows, added: row l at (R8), AX = 8 rows, R10 = R8+32
// rows, R11 = R8+24 rows; then moves the three pointers on one row.
#define A16(dst) \
	VMOVUPS (R8), Y8             \
	VADDPS  (R10), Y8, Y8        \
	VMOVUPS (R8)(AX*2), Y10      \
	VADDPS  (R10)(AX*2), Y10, Y10 \
	VADDPS  Y10, Y8, Y8          \
	VMOVUPS (R8)(AX*1), Y9       \
	VADDPS  (R10)(AX*1), Y9, Y9  \
	VMOVUPS (R11), Y11           \
	VADDPS  (R11)(AX*4), Y11, Y11 \
	VADDPS  Y11, Y9, Y9          \
	VADDPS  Y9, Y8, dst          \
	ADDQ    DX, R8               \
	ADDQ    DX, R10              \
	ADDQ    DX, R11

// func reduceF16x64AVX2(out, lanes *float32, hd int)
// reduceF16x64 for hd a multiple of 8: lane l of the 16 is (a0+a2)+(a1+a3)
// of the four accumulators' lane l (rows l, 16+l, 32+l, 48+l of hd
// floats), then reduce16 over the lanes.
TEXT ·reduceF16x64AVX2(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ lanes+8(FP), SI
	MOVQ hd+16(FP), DX
	MOVQ DX, CX
	SHRQ $3, CX
	JZ   r64done
	SHLQ $2, DX        // a lane row in bytes
	MOVQ DX, AX
	SHLQ $3, AX        // 8 rows

r64loop:
	MOVQ SI, R8
	LEAQ (R8)(AX*4), R10
	LEAQ (R8)(AX*2), R11
	ADDQ AX, R11
	A16(Y0)
	A16(Y1)
	A16(Y2)
	A16(Y3)
	A16(Y4)
	A16(Y5)
	A16(Y6)
	A16(Y7)
	FOLD8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     r64loop

r64done:
	VZEROUPPER
	RET

// func f32ToF16AVX2(dst *uint16, src *float32, n int)
// dst[i] = F32ToF16(src[i]) for i < n (a multiple of 8): VCVTPS2PH rounds
// to nearest even, overflows to infinity and quiets NaN, as F32ToF16.
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   cvdone

cvloop:
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVUPS   X1, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       cvloop

cvdone:
	VZEROUPPER
	RET
