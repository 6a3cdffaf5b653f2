#include "textflag.h"
#include "hsum_amd64.h"

// Attention scores eight positions at a time (AVX2, FMA, F16C). Each
// position's dot runs as in dotsF32GGML512AVX2 / dotsF16GGML512AVX2 up to
// its eight folded lanes (lanes i and i+8 of the 16 added); the eight
// positions' lanes then finish together by a transpose, every position's
// lanes added in the same pairs as HSUM8 (halves, then elements 0+2 and
// 1+3, then the two), instead of one horizontal sum per position.

// Lane 0-3 of the transposed sum hold positions 0, 2, 4, 6; lanes 4-7
// positions 1, 3, 5, 7.
DATA scorePerm<>+0(SB)/4, $0
DATA scorePerm<>+4(SB)/4, $4
DATA scorePerm<>+8(SB)/4, $1
DATA scorePerm<>+12(SB)/4, $5
DATA scorePerm<>+16(SB)/4, $2
DATA scorePerm<>+20(SB)/4, $6
DATA scorePerm<>+24(SB)/4, $3
DATA scorePerm<>+28(SB)/4, $7
GLOBL scorePerm<>(SB), RODATA|NOPTR, $32

// Halves of a and b (lanes i and i+4) into d.
#define HALVES(a, b, d) \
	VPERM2F128 $0x20, b, a, Y8 \
	VPERM2F128 $0x31, b, a, Y9 \
	VADDPS     Y9, Y8, d

// Elements 0+2 and 1+3 of every 128-bit half of a and b into d.
#define EVENODD(a, b, d) \
	VSHUFPS $0x44, b, a, Y8 \
	VSHUFPS $0xEE, b, a, Y9 \
	VADDPS  Y9, Y8, d

// TREE8 finishes eight positions' folded lanes in Y0-Y7 into Y8, in
// position order (clobbers Y0, Y1, Y9-Y13).
#define TREE8 \
	HALVES(Y0, Y1, Y10)     \
	HALVES(Y2, Y3, Y11)     \
	HALVES(Y4, Y5, Y12)     \
	HALVES(Y6, Y7, Y13)     \
	EVENODD(Y10, Y11, Y0)   \
	EVENODD(Y12, Y13, Y1)   \
	VSHUFPS $0x88, Y1, Y0, Y8 \
	VSHUFPS $0xDD, Y1, Y0, Y9 \
	VADDPS  Y9, Y8, Y8      \
	VMOVUPS scorePerm<>(SB), Y9 \
	VPERMPS Y8, Y9, Y8

// FINISH8 sums the eight positions' folded lanes at (R13) (position j at
// 32*j), scales them by the scale argument and stores them to (DI).
#define FINISH8 \
	VMOVUPS (R13), Y0       \
	VMOVUPS 32(R13), Y1     \
	VMOVUPS 64(R13), Y2     \
	VMOVUPS 96(R13), Y3     \
	VMOVUPS 128(R13), Y4    \
	VMOVUPS 160(R13), Y5    \
	VMOVUPS 192(R13), Y6    \
	VMOVUPS 224(R13), Y7    \
	TREE8                   \
	VBROADCASTSS scale+48(FP), Y15 \
	VMULPS  Y15, Y8, Y8     \
	VMOVUPS Y8, (DI)

// The four accumulators (hsum_amd64.h) folded to eight lanes, stored at
// (R14).
#define FOLDSTORE \
	FOLD8 \
	VMOVUPS Y0, (R14)

// func scores8F32AVX2(k *float32, kstride int, q *float32, n, nblk int, out *float32, scale float32)
// out[j] = DotF32GGML(k[j*kstride:][:n], q) * scale for j < 8*nblk
// (kstride in bytes, n a multiple of 64). The frame holds a block's
// folded lanes.
TEXT ·scores8F32AVX2(SB), 0, $256-52
	MOVQ         k+0(FP), SI
	MOVQ         kstride+8(FP), DX
	MOVQ         q+16(FP), R8
	MOVQ         n+24(FP), R9
	MOVQ         nblk+32(FP), CX
	MOVQ         out+40(FP), DI
	LEAQ         (SP), R13
	SHRQ         $6, R9
	TESTQ        CX, CX
	JLE          s8fdone

s8fblk:
	MOVQ $8, AX
	MOVQ R13, R14

s8fpos:
	ZERO8
	MOVQ SI, R10
	MOVQ R8, R11
	MOVQ R9, BX

s8fstep:
	F32STEP64(R10, R11)
	ADDQ        $256, R10
	ADDQ        $256, R11
	DECQ        BX
	JNZ         s8fstep

	FOLDSTORE
	ADDQ $32, R14
	ADDQ DX, SI
	DECQ AX
	JNZ  s8fpos

	FINISH8
	ADDQ $32, DI
	DECQ CX
	JNZ  s8fblk

s8fdone:
	VZEROUPPER
	RET

// func scores8F16AVX2(k *uint16, kstride int, q *uint16, n, nblk int, out *float32, scale float32)
// scores8F32AVX2 over an F16 cache with an F16 query (ggml_vec_dot_f16's
// order; its float64 tail is empty at n a multiple of 64). The query is
// widened once into the frame after the folded lanes (n <= 512), so each
// step converts only the key.
TEXT ·scores8F16AVX2(SB), 0, $2304-52
	MOVQ         k+0(FP), SI
	MOVQ         kstride+8(FP), DX
	MOVQ         q+16(FP), R8
	MOVQ         n+24(FP), R9
	MOVQ         nblk+32(FP), CX
	MOVQ         out+40(FP), DI
	LEAQ         (SP), R13
	LEAQ         256(R13), R12
	MOVQ         R9, BX
	SHRQ         $3, BX

s8hq:
	VCVTPH2PS (R8), Y0
	VMOVUPS   Y0, (R12)
	ADDQ      $16, R8
	ADDQ      $32, R12
	DECQ      BX
	JNZ       s8hq
	LEAQ      256(R13), R8
	SHRQ      $6, R9
	TESTQ     CX, CX
	JLE       s8hdone

s8hblk:
	MOVQ $8, AX
	MOVQ R13, R14

s8hpos:
	ZERO8
	MOVQ SI, R10
	MOVQ R8, R11
	MOVQ R9, BX

s8hstep:
	VCVTPH2PS   (R10), Y8
	VFMADD231PS (R11), Y8, Y0
	VCVTPH2PS   16(R10), Y9
	VFMADD231PS 32(R11), Y9, Y1
	VCVTPH2PS   32(R10), Y10
	VFMADD231PS 64(R11), Y10, Y2
	VCVTPH2PS   48(R10), Y11
	VFMADD231PS 96(R11), Y11, Y3
	VCVTPH2PS   64(R10), Y12
	VFMADD231PS 128(R11), Y12, Y4
	VCVTPH2PS   80(R10), Y13
	VFMADD231PS 160(R11), Y13, Y5
	VCVTPH2PS   96(R10), Y14
	VFMADD231PS 192(R11), Y14, Y6
	VCVTPH2PS   112(R10), Y8
	VFMADD231PS 224(R11), Y8, Y7
	ADDQ        $128, R10
	ADDQ        $256, R11
	DECQ        BX
	JNZ         s8hstep

	FOLDSTORE
	ADDQ $32, R14
	ADDQ DX, SI
	DECQ AX
	JNZ  s8hpos

	FINISH8
	ADDQ $32, DI
	DECQ CX
	JNZ  s8hblk

s8hdone:
	VZEROUPPER
	RET

// A group of 16 at off(SI): lanes i and i+8 added into d.
#define GROUPH(off, d) \
	VMOVUPS off(SI), d        \
	VADDPS  off+32(SI), d, d

// func reduce16GroupsAVX2(dst, x *float32, ngroups int)
// dst[g] = reduce16(x[16g:16g+16]) for g < ngroups (a multiple of 8): the
// softmax's sum of its groups of 16, eight groups at a time.
TEXT ·reduce16GroupsAVX2(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  ngroups+16(FP), CX
	SHRQ  $3, CX
	JZ    rgdone

rgloop:
	GROUPH(0, Y0)
	GROUPH(64, Y1)
	GROUPH(128, Y2)
	GROUPH(192, Y3)
	GROUPH(256, Y4)
	GROUPH(320, Y5)
	GROUPH(384, Y6)
	GROUPH(448, Y7)
	TREE8
	VMOVUPS Y8, (DI)
	ADDQ    $512, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rgloop

rgdone:
	VZEROUPPER
	RET
