#include "textflag.h"

// The repacked Q4_K kernels (q4_k_repack.go): eight weight rows, one per
// int32/float32 lane, against Q8_K input rows. Integer sums are exact;
// the float steps are llama.cpp's ggml_gemv_q4_K_8x8_q8_K (one FMA per
// superblock) or, for its gemm's order, one per 64 values.
// gemvQ4_Kx8Plain is their Go model, bit for bit.

// Scales of sub-block s for rows 0..7, broadcast to every qword, become
// (scale, scale) int16 pairs in lane j for VPMADDWD.
DATA q4x8scshuf<>+0(SB)/8, $0x8001800180008000
DATA q4x8scshuf<>+8(SB)/8, $0x8003800380028002
DATA q4x8scshuf<>+16(SB)/8, $0x8005800580048004
DATA q4x8scshuf<>+24(SB)/8, $0x8007800780068006
GLOBL q4x8scshuf<>(SB), RODATA|NOPTR, $32

DATA q4x8m3f<>+0(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA q4x8m3f<>+8(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA q4x8m3f<>+16(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA q4x8m3f<>+24(SB)/8, $0x3f3f3f3f3f3f3f3f
GLOBL q4x8m3f<>(SB), RODATA|NOPTR, $32

DATA q4x8m30<>+0(SB)/8, $0x3030303030303030
DATA q4x8m30<>+8(SB)/8, $0x3030303030303030
DATA q4x8m30<>+16(SB)/8, $0x3030303030303030
DATA q4x8m30<>+24(SB)/8, $0x3030303030303030
GLOBL q4x8m30<>(SB), RODATA|NOPTR, $32

// UNPACKSC writes the scales of the superblock at SI to 0(SP) (64 bytes,
// sub-block s of row j at 8s+j) and its mins to 64(SP) (64 bytes, pair
// order). Needs Y15 = 0x0f bytes; clobbers Y6-Y9.
#define UNPACKSC \
	VMOVDQU   32(SI), Y6 \
	VMOVDQU   64(SI), Y7 \
	VMOVDQU   96(SI), Y8 \
	VPAND     q4x8m3f<>(SB), Y6, Y9 \
	VMOVDQU   Y9, 0(SP) \
	VPAND     q4x8m3f<>(SB), Y7, Y9 \
	VMOVDQU   Y9, 32(SP) \
	VPSRLW    $2, Y6, Y6 \
	VPAND     q4x8m30<>(SB), Y6, Y6 \
	VPAND     Y15, Y8, Y9 \
	VPOR      Y9, Y6, Y6 \
	VMOVDQU   Y6, 64(SP) \
	VPSRLW    $2, Y7, Y7 \
	VPAND     q4x8m30<>(SB), Y7, Y7 \
	VPSRLW    $4, Y8, Y8 \
	VPAND     Y15, Y8, Y8 \
	VPOR      Y8, Y7, Y7 \
	VMOVDQU   Y7, 96(SP)

// BSUMS(p, off): the eight 32-value sums of the Q8_K block at p (int16,
// wrapping as VPHADDW adds them) to off(SP).
#define BSUMS(p, off) \
	VMOVDQU   260(p), X9 \
	VPHADDW   276(p), X9, X9 \
	VMOVDQU   X9, off(SP)

// MINS(moff, boff, d): d = the mins term of one pair of sub-blocks (int32
// lanes): mins pairs at moff(SP) against the sums pair at boff(SP).
#define MINS(moff, boff, d) \
	VPMOVZXBW    moff(SP), d \
	VPBROADCASTD boff(SP), Y10 \
	VPMADDWD     Y10, d, d

// KSTEP0/KSTEP: four bytes of each row (32 at woff(SI)), low nibbles
// against the activations at al(DI) into Y4, high nibbles against ah(DI)
// into Y5 (int16 lanes; at most 16 products each, no overflow).
#define KSTEP0(woff, al, ah) \
	VMOVDQU      woff(SI), Y6 \
	VPAND        Y15, Y6, Y7 \
	VPSRLW       $4, Y6, Y6 \
	VPAND        Y15, Y6, Y6 \
	VPBROADCASTD al(DI), Y9 \
	VPBROADCASTD ah(DI), Y10 \
	VPMADDUBSW   Y9, Y7, Y4 \
	VPMADDUBSW   Y10, Y6, Y5

#define KSTEP(woff, al, ah) \
	VMOVDQU      woff(SI), Y6 \
	VPAND        Y15, Y6, Y7 \
	VPSRLW       $4, Y6, Y6 \
	VPAND        Y15, Y6, Y6 \
	VPBROADCASTD al(DI), Y9 \
	VPBROADCASTD ah(DI), Y10 \
	VPMADDUBSW   Y9, Y7, Y7 \
	VPMADDUBSW   Y10, Y6, Y6 \
	VPADDW       Y7, Y4, Y4 \
	VPADDW       Y6, Y5, Y5

// CSCALE: Y4 = scale(sl)*Y4 + scale(sh)*Y5 per row, int32.
#define CSCALE(sl, sh) \
	VPBROADCASTQ sl(SP), Y9 \
	VPSHUFB      Y13, Y9, Y9 \
	VPMADDWD     Y9, Y4, Y4 \
	VPBROADCASTQ sh(SP), Y10 \
	VPSHUFB      Y13, Y10, Y10 \
	VPMADDWD     Y10, Y5, Y5 \
	VPADDD       Y5, Y4, Y4

// VSTEP: KSTEP for VNNI: int32 sums of the sub-block in Y16 and Y17.
#define VSTEP(woff, al, ah) \
	VMOVDQU       woff(SI), Y6 \
	VPAND         Y15, Y6, Y7 \
	VPSRLW        $4, Y6, Y6 \
	VPAND         Y15, Y6, Y6 \
	VPDPBUSD.BCST al(DI), Y7, Y16 \
	VPDPBUSD.BCST ah(DI), Y6, Y17

// VSCALE: Y2 += scale(sl)*Y16 + scale(sh)*Y17 per row, int32.
#define VSCALE(sl, sh) \
	VPMOVZXBD    sl(SP), Y9 \
	VPMULLD      Y9, Y16, Y16 \
	VPMOVZXBD    sh(SP), Y10 \
	VPMULLD      Y10, Y17, Y17 \
	VPADDD       Y17, Y16, Y16 \
	VPADDD       Y16, Y2, Y2

// The four-row gemm keeps the input rows at DI, R10, R11, R12. Frame:
// scales 0, mins 64, row t's 32-value sums 128+16t, mins accumulators
// 256+32t, d*y.d of row t 384+32t.

// GSETUP: per superblock, everything but the quants, the mins FMAs
// included (clobbers Y4-Y13).
#define GSETUP \
	UNPACKSC \
	BSUMS(DI, 128) \
	BSUMS(R10, 144) \
	BSUMS(R11, 160) \
	BSUMS(R12, 176) \
	VCVTPH2PS 0(SI), Y12 \
	GDROW(DI, 384) \
	GDROW(R10, 416) \
	GDROW(R11, 448) \
	GDROW(R12, 480) \
	VCVTPH2PS 16(SI), Y12 \
	VPMOVZXBW 64(SP), Y4 \
	VPMOVZXBW 80(SP), Y5 \
	VPMOVZXBW 96(SP), Y6 \
	VPMOVZXBW 112(SP), Y7 \
	GMINROW(DI, 256, 128) \
	GMINROW(R10, 288, 144) \
	GMINROW(R11, 320, 160) \
	GMINROW(R12, 352, 176)

// GDROW(p, off): off(SP) = d*y.d for the row at p (Y12 = d).
#define GDROW(p, off) \
	VBROADCASTSS (p), Y13 \
	VMULPS    Y13, Y12, Y13 \
	VMOVUPS   Y13, off(SP)

// GMINSB(boff, m): one sub-block pair's mins FMA into Y8 (Y13 = dmin*y.d).
#define GMINSB(boff, m) \
	VPBROADCASTD boff(SP), Y9 \
	VPMADDWD  Y9, m, Y9 \
	VCVTDQ2PS Y9, Y9 \
	VFMADD231PS Y9, Y13, Y8

// GMINROW(p, aoff, boff): the row at p's four mins FMAs into its
// accumulator at aoff(SP) (Y12 = dmin, Y4-Y7 = the mins pairs).
#define GMINROW(p, aoff, boff) \
	VMOVUPS   aoff(SP), Y8 \
	VBROADCASTSS (p), Y13 \
	VMULPS    Y13, Y12, Y13 \
	GMINSB(boff, Y4) \
	GMINSB(boff+4, Y5) \
	GMINSB(boff+8, Y6) \
	GMINSB(boff+12, Y7) \
	VMOVUPS   Y8, aoff(SP)

// GLO/GHI: the low or high nibbles of 32 weight bytes at woff(SI) to Y12.
#define GLO(woff) VPAND woff(SI), Y15, Y12
#define GHI(woff) VMOVDQU woff(SI), Y12; VPSRLW $4, Y12, Y12; VPAND Y15, Y12, Y12

// GROW0/GROW: Y12 against each row's four activations at aoff, int16
// sums in Y4-Y7.
#define GROW0(p, aoff, acc) VPBROADCASTD aoff(p), Y13; VPMADDUBSW Y13, Y12, acc
#define GROW(p, aoff, acc) VPBROADCASTD aoff(p), Y13; VPMADDUBSW Y13, Y12, Y13; VPADDW Y13, acc, acc
#define GROWS0(aoff) GROW0(DI, aoff, Y4); GROW0(R10, aoff, Y5); GROW0(R11, aoff, Y6); GROW0(R12, aoff, Y7)
#define GROWS(aoff) GROW(DI, aoff, Y4); GROW(R10, aoff, Y5); GROW(R11, aoff, Y6); GROW(R12, aoff, Y7)

// GSCLO(soff): Y8-Y11 = scale(soff) * Y4-Y7 (int32).
#define GSCLO(soff) \
	VPBROADCASTQ soff(SP), Y14 \
	VPSHUFB   q4x8scshuf<>(SB), Y14, Y14 \
	VPMADDWD  Y14, Y4, Y8 \
	VPMADDWD  Y14, Y5, Y9 \
	VPMADDWD  Y14, Y6, Y10 \
	VPMADDWD  Y14, Y7, Y11

// GSCHI(soff): adds scale(soff) * Y4-Y7 and FMAs the 64 values' sums into
// the rows' accumulators Y0-Y3.
#define GSCHI1(s, sum, acc, doff) \
	VPMADDWD  Y14, s, s \
	VPADDD    s, sum, sum \
	VCVTDQ2PS sum, sum \
	VFMADD231PS doff(SP), sum, acc
#define GSCHI(soff) \
	VPBROADCASTQ soff(SP), Y14 \
	VPSHUFB   q4x8scshuf<>(SB), Y14, Y14 \
	GSCHI1(Y4, Y8, Y0, 384) \
	GSCHI1(Y5, Y9, Y1, 416) \
	GSCHI1(Y6, Y10, Y2, 448) \
	GSCHI1(Y7, Y11, Y3, 480)

// VGSTEP: the VNNI gemm's step: both nibbles of 32 weight bytes against
// the four rows (int32 sums in Y16-Y19 low, Y20-Y23 high).
#define VGSTEP(woff, al, ah) \
	VMOVDQU   woff(SI), Y12 \
	VPAND     Y15, Y12, Y13 \
	VPSRLW    $4, Y12, Y12 \
	VPAND     Y15, Y12, Y12 \
	VPDPBUSD.BCST al(DI), Y13, Y16 \
	VPDPBUSD.BCST ah(DI), Y12, Y20 \
	VPDPBUSD.BCST al(R10), Y13, Y17 \
	VPDPBUSD.BCST ah(R10), Y12, Y21 \
	VPDPBUSD.BCST al(R11), Y13, Y18 \
	VPDPBUSD.BCST ah(R11), Y12, Y22 \
	VPDPBUSD.BCST al(R12), Y13, Y19 \
	VPDPBUSD.BCST ah(R12), Y12, Y23

// VGZERO zeroes the VNNI gemm's sums.
#define VGZERO \
	VPXORD Y16, Y16, Y16; VPXORD Y17, Y17, Y17; VPXORD Y18, Y18, Y18; VPXORD Y19, Y19, Y19 \
	VPXORD Y20, Y20, Y20; VPXORD Y21, Y21, Y21; VPXORD Y22, Y22, Y22; VPXORD Y23, Y23, Y23

// VGSCALE(sl, sh): scales the sums of sub-blocks sl, sh and FMAs them into
// Y0-Y3.
#define VGSCALE1(lo, hi, acc, doff) \
	VPMULLD   Y14, lo, lo \
	VPMULLD   Y24, hi, hi \
	VPADDD    hi, lo, lo \
	VCVTDQ2PS lo, lo \
	VFMADD231PS doff(SP), lo, acc
#define VGSCALE(sl, sh) \
	VPMOVZXBD sl(SP), Y14 \
	VPMOVZXBD sh(SP), Y24 \
	VGSCALE1(Y16, Y20, Y0, 384) \
	VGSCALE1(Y17, Y21, Y1, 416) \
	VGSCALE1(Y18, Y22, Y2, 448) \
	VGSCALE1(Y19, Y23, Y3, 480)


// func gemvQ4_Kx8AVX2(w, x *byte, nb int, out *float32)
TEXT ·gemvQ4_Kx8AVX2(SB), NOSPLIT, $160-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ out+24(FP), DX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS Y1, Y1, Y1 // acc of the mins
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU q4x8scshuf<>(SB), Y13

q4x8vloop:
	VCVTPH2PS    0(SI), Y11
	VCVTPH2PS    16(SI), Y12
	VBROADCASTSS (DI), Y9
	VMULPS       Y9, Y11, Y11 // d*y.d
	VMULPS       Y9, Y12, Y12 // dmin*y.d
	UNPACKSC
	BSUMS(DI, 128)
	MINS(64, 128, Y3)
	MINS(80, 132, Y2)
	VPADDD       Y2, Y3, Y3
	MINS(96, 136, Y2)
	VPADDD       Y2, Y3, Y3
	MINS(112, 140, Y2)
	VPADDD       Y2, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VFMADD231PS  Y3, Y12, Y1
	KSTEP0(128, 4, 36)
	KSTEP(160, 8, 40)
	KSTEP(192, 12, 44)
	KSTEP(224, 16, 48)
	KSTEP(256, 20, 52)
	KSTEP(288, 24, 56)
	KSTEP(320, 28, 60)
	KSTEP(352, 32, 64)
	CSCALE(0, 8)
	VMOVDQA      Y4, Y2
	KSTEP0(384, 68, 100)
	KSTEP(416, 72, 104)
	KSTEP(448, 76, 108)
	KSTEP(480, 80, 112)
	KSTEP(512, 84, 116)
	KSTEP(544, 88, 120)
	KSTEP(576, 92, 124)
	KSTEP(608, 96, 128)
	CSCALE(16, 24)
	VPADDD       Y4, Y2, Y2
	KSTEP0(640, 132, 164)
	KSTEP(672, 136, 168)
	KSTEP(704, 140, 172)
	KSTEP(736, 144, 176)
	KSTEP(768, 148, 180)
	KSTEP(800, 152, 184)
	KSTEP(832, 156, 188)
	KSTEP(864, 160, 192)
	CSCALE(32, 40)
	VPADDD       Y4, Y2, Y2
	KSTEP0(896, 196, 228)
	KSTEP(928, 200, 232)
	KSTEP(960, 204, 236)
	KSTEP(992, 208, 240)
	KSTEP(1024, 212, 244)
	KSTEP(1056, 216, 248)
	KSTEP(1088, 220, 252)
	KSTEP(1120, 224, 256)
	CSCALE(48, 56)
	VPADDD       Y4, Y2, Y2
	VCVTDQ2PS    Y2, Y2
	VFMADD231PS  Y2, Y11, Y0

	ADDQ $1152, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4x8vloop

	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// func gemm4Q4_Kx8AVX2(w, x *byte, stride, nb int, out *float32, ostride int)
//
// Four Q8_K rows at x + t*stride against eight repacked rows, in gemm
// order (one FMA per 64 values), row t's results at out + t*ostride
// floats; each weight load serves the four rows.
TEXT ·gemm4Q4_Kx8AVX2(SB), NOSPLIT, $512-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R8
	MOVQ nb+24(FP), CX
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	SHLQ $2, R9
	LEAQ (DI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VMOVUPS Y0, 256(SP)
	VMOVUPS Y0, 288(SP)
	VMOVUPS Y0, 320(SP)
	VMOVUPS Y0, 352(SP)

q4x8mloop:
	GSETUP
	// Values 64c..64c+63 of c = 0.
	GLO(128); GROWS0(4)
	GLO(160); GROWS(8)
	GLO(192); GROWS(12)
	GLO(224); GROWS(16)
	GLO(256); GROWS(20)
	GLO(288); GROWS(24)
	GLO(320); GROWS(28)
	GLO(352); GROWS(32)
	GSCLO(0)
	GHI(128); GROWS0(36)
	GHI(160); GROWS(40)
	GHI(192); GROWS(44)
	GHI(224); GROWS(48)
	GHI(256); GROWS(52)
	GHI(288); GROWS(56)
	GHI(320); GROWS(60)
	GHI(352); GROWS(64)
	GSCHI(8)
	// Values 64c..64c+63 of c = 1.
	GLO(384); GROWS0(68)
	GLO(416); GROWS(72)
	GLO(448); GROWS(76)
	GLO(480); GROWS(80)
	GLO(512); GROWS(84)
	GLO(544); GROWS(88)
	GLO(576); GROWS(92)
	GLO(608); GROWS(96)
	GSCLO(16)
	GHI(384); GROWS0(100)
	GHI(416); GROWS(104)
	GHI(448); GROWS(108)
	GHI(480); GROWS(112)
	GHI(512); GROWS(116)
	GHI(544); GROWS(120)
	GHI(576); GROWS(124)
	GHI(608); GROWS(128)
	GSCHI(24)
	// Values 64c..64c+63 of c = 2.
	GLO(640); GROWS0(132)
	GLO(672); GROWS(136)
	GLO(704); GROWS(140)
	GLO(736); GROWS(144)
	GLO(768); GROWS(148)
	GLO(800); GROWS(152)
	GLO(832); GROWS(156)
	GLO(864); GROWS(160)
	GSCLO(32)
	GHI(640); GROWS0(164)
	GHI(672); GROWS(168)
	GHI(704); GROWS(172)
	GHI(736); GROWS(176)
	GHI(768); GROWS(180)
	GHI(800); GROWS(184)
	GHI(832); GROWS(188)
	GHI(864); GROWS(192)
	GSCHI(40)
	// Values 64c..64c+63 of c = 3.
	GLO(896); GROWS0(196)
	GLO(928); GROWS(200)
	GLO(960); GROWS(204)
	GLO(992); GROWS(208)
	GLO(1024); GROWS(212)
	GLO(1056); GROWS(216)
	GLO(1088); GROWS(220)
	GLO(1120); GROWS(224)
	GSCLO(48)
	GHI(896); GROWS0(228)
	GHI(928); GROWS(232)
	GHI(960); GROWS(236)
	GHI(992); GROWS(240)
	GHI(1024); GROWS(244)
	GHI(1056); GROWS(248)
	GHI(1088); GROWS(252)
	GHI(1120); GROWS(256)
	GSCHI(56)

	ADDQ $1152, SI
	ADDQ $292, DI
	ADDQ $292, R10
	ADDQ $292, R11
	ADDQ $292, R12
	DECQ CX
	JNZ  q4x8mloop

	VMOVUPS   256(SP), Y13
	VSUBPS    Y13, Y0, Y0
	VMOVUPS   Y0, (DX)
	ADDQ      R9, DX
	VMOVUPS   288(SP), Y13
	VSUBPS    Y13, Y1, Y1
	VMOVUPS   Y1, (DX)
	ADDQ      R9, DX
	VMOVUPS   320(SP), Y13
	VSUBPS    Y13, Y2, Y2
	VMOVUPS   Y2, (DX)
	ADDQ      R9, DX
	VMOVUPS   352(SP), Y13
	VSUBPS    Y13, Y3, Y3
	VMOVUPS   Y3, (DX)
	VZEROUPPER
	RET

// The same for AVX-512 VNNI with VL: VPDPBUSD with a broadcast activation
// word does VPBROADCASTD + VPMADDUBSW + VPADDW in one step, into int32
// sums of each 32-value sub-block, which VPMULLD scales. The integer sums
// are the same, so are the results.

// func gemvQ4_Kx8VNNI(w, x *byte, nb int, out *float32)
TEXT ·gemvQ4_Kx8VNNI(SB), NOSPLIT, $160-32
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ out+24(FP), DX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS Y1, Y1, Y1 // acc of the mins
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU q4x8scshuf<>(SB), Y13

q4x8nloop:
	VCVTPH2PS    0(SI), Y11
	VCVTPH2PS    16(SI), Y12
	VBROADCASTSS (DI), Y9
	VMULPS       Y9, Y11, Y11 // d*y.d
	VMULPS       Y9, Y12, Y12 // dmin*y.d
	UNPACKSC
	BSUMS(DI, 128)
	MINS(64, 128, Y3)
	MINS(80, 132, Y2)
	VPADDD       Y2, Y3, Y3
	MINS(96, 136, Y2)
	VPADDD       Y2, Y3, Y3
	MINS(112, 140, Y2)
	VPADDD       Y2, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VFMADD231PS  Y3, Y12, Y1
	VPXOR        Y2, Y2, Y2
	VPXORD       Y16, Y16, Y16
	VPXORD       Y17, Y17, Y17
	VSTEP(128, 4, 36)
	VSTEP(160, 8, 40)
	VSTEP(192, 12, 44)
	VSTEP(224, 16, 48)
	VSTEP(256, 20, 52)
	VSTEP(288, 24, 56)
	VSTEP(320, 28, 60)
	VSTEP(352, 32, 64)
	VSCALE(0, 8)
	VPXORD       Y16, Y16, Y16
	VPXORD       Y17, Y17, Y17
	VSTEP(384, 68, 100)
	VSTEP(416, 72, 104)
	VSTEP(448, 76, 108)
	VSTEP(480, 80, 112)
	VSTEP(512, 84, 116)
	VSTEP(544, 88, 120)
	VSTEP(576, 92, 124)
	VSTEP(608, 96, 128)
	VSCALE(16, 24)
	VPXORD       Y16, Y16, Y16
	VPXORD       Y17, Y17, Y17
	VSTEP(640, 132, 164)
	VSTEP(672, 136, 168)
	VSTEP(704, 140, 172)
	VSTEP(736, 144, 176)
	VSTEP(768, 148, 180)
	VSTEP(800, 152, 184)
	VSTEP(832, 156, 188)
	VSTEP(864, 160, 192)
	VSCALE(32, 40)
	VPXORD       Y16, Y16, Y16
	VPXORD       Y17, Y17, Y17
	VSTEP(896, 196, 228)
	VSTEP(928, 200, 232)
	VSTEP(960, 204, 236)
	VSTEP(992, 208, 240)
	VSTEP(1024, 212, 244)
	VSTEP(1056, 216, 248)
	VSTEP(1088, 220, 252)
	VSTEP(1120, 224, 256)
	VSCALE(48, 56)
	VCVTDQ2PS    Y2, Y2
	VFMADD231PS  Y2, Y11, Y0

	ADDQ $1152, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4x8nloop

	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// func gemm4Q4_Kx8VNNI(w, x *byte, stride, nb int, out *float32, ostride int)
//
// Four Q8_K rows at x + t*stride against eight repacked rows, in gemm
// order (one FMA per 64 values), row t's results at out + t*ostride
// floats; each weight load serves the four rows.
TEXT ·gemm4Q4_Kx8VNNI(SB), NOSPLIT, $512-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R8
	MOVQ nb+24(FP), CX
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	SHLQ $2, R9
	LEAQ (DI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VMOVUPS Y0, 256(SP)
	VMOVUPS Y0, 288(SP)
	VMOVUPS Y0, 320(SP)
	VMOVUPS Y0, 352(SP)

q4x8nmloop:
	GSETUP
	// Values 64c..64c+63 of c = 0.
	VGZERO
	VGSTEP(128, 4, 36)
	VGSTEP(160, 8, 40)
	VGSTEP(192, 12, 44)
	VGSTEP(224, 16, 48)
	VGSTEP(256, 20, 52)
	VGSTEP(288, 24, 56)
	VGSTEP(320, 28, 60)
	VGSTEP(352, 32, 64)
	VGSCALE(0, 8)
	// Values 64c..64c+63 of c = 1.
	VGZERO
	VGSTEP(384, 68, 100)
	VGSTEP(416, 72, 104)
	VGSTEP(448, 76, 108)
	VGSTEP(480, 80, 112)
	VGSTEP(512, 84, 116)
	VGSTEP(544, 88, 120)
	VGSTEP(576, 92, 124)
	VGSTEP(608, 96, 128)
	VGSCALE(16, 24)
	// Values 64c..64c+63 of c = 2.
	VGZERO
	VGSTEP(640, 132, 164)
	VGSTEP(672, 136, 168)
	VGSTEP(704, 140, 172)
	VGSTEP(736, 144, 176)
	VGSTEP(768, 148, 180)
	VGSTEP(800, 152, 184)
	VGSTEP(832, 156, 188)
	VGSTEP(864, 160, 192)
	VGSCALE(32, 40)
	// Values 64c..64c+63 of c = 3.
	VGZERO
	VGSTEP(896, 196, 228)
	VGSTEP(928, 200, 232)
	VGSTEP(960, 204, 236)
	VGSTEP(992, 208, 240)
	VGSTEP(1024, 212, 244)
	VGSTEP(1056, 216, 248)
	VGSTEP(1088, 220, 252)
	VGSTEP(1120, 224, 256)
	VGSCALE(48, 56)

	ADDQ $1152, SI
	ADDQ $292, DI
	ADDQ $292, R10
	ADDQ $292, R11
	ADDQ $292, R12
	DECQ CX
	JNZ  q4x8nmloop

	VMOVUPS   256(SP), Y13
	VSUBPS    Y13, Y0, Y0
	VMOVUPS   Y0, (DX)
	ADDQ      R9, DX
	VMOVUPS   288(SP), Y13
	VSUBPS    Y13, Y1, Y1
	VMOVUPS   Y1, (DX)
	ADDQ      R9, DX
	VMOVUPS   320(SP), Y13
	VSUBPS    Y13, Y2, Y2
	VMOVUPS   Y2, (DX)
	ADDQ      R9, DX
	VMOVUPS   352(SP), Y13
	VSUBPS    Y13, Y3, Y3
	VMOVUPS   Y3, (DX)
	VZEROUPPER
	RET
