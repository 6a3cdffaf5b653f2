#include "textflag.h"

// The repacked Q4_K kernels (q4_k_repack.go): eight weight rows, one per
// int32/float32 lane, against Q8_K input rows. Integer sums are exact;
// the float steps are llama.cpp's ggml_gemv_q4_K_8x8_q8_K (one FMA per
// superblock) or, for gemm's order, one per 64 values. gemvQ4_Kx8Plain is
// their Go model, bit for bit.

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

// UNPACK writes the superblock at SI's scales to 0(SP) (64 bytes, sub-block
// s of row j at 8s+j) and its mins to 64(SP) (64 bytes, pair order), and
// the Q8_K block at DI's 32-value sums (eight int16, wrapping as VPHADDW)
// to 128(SP). Needs Y15 = 0x0f bytes; clobbers Y6-Y9.
#define UNPACK \
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
	VMOVDQU   Y7, 96(SP) \
	VMOVDQU   260(DI), X9 \
	VPHADDW   276(DI), X9, X9 \
	VMOVDQU   X9, 128(SP)

// MINS(sb, d): d = the mins term of sub-blocks 2sb, 2sb+1 (int32 lanes).
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
	TESTQ  CX, CX
	JLE    q4x8vdone

q4x8vloop:
	VCVTPH2PS    0(SI), Y11
	VCVTPH2PS    16(SI), Y12
	VBROADCASTSS (DI), Y9
	VMULPS       Y9, Y11, Y11 // d*y.d
	VMULPS       Y9, Y12, Y12 // dmin*y.d
	UNPACK

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

q4x8vdone:
	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// func gemvSBQ4_Kx8AVX2(w, x *byte, nb int, out *float32)
TEXT ·gemvSBQ4_Kx8AVX2(SB), NOSPLIT, $160-32
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
	TESTQ  CX, CX
	JLE    q4x8sbdone

q4x8sbloop:
	VCVTPH2PS    0(SI), Y11
	VCVTPH2PS    16(SI), Y12
	VBROADCASTSS (DI), Y9
	VMULPS       Y9, Y11, Y11 // d*y.d
	VMULPS       Y9, Y12, Y12 // dmin*y.d
	UNPACK

	MINS(64, 128, Y3)
	VCVTDQ2PS    Y3, Y3
	VFMADD231PS  Y3, Y12, Y1
	MINS(80, 132, Y3)
	VCVTDQ2PS    Y3, Y3
	VFMADD231PS  Y3, Y12, Y1
	MINS(96, 136, Y3)
	VCVTDQ2PS    Y3, Y3
	VFMADD231PS  Y3, Y12, Y1
	MINS(112, 140, Y3)
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
	VCVTDQ2PS    Y4, Y4
	VFMADD231PS  Y4, Y11, Y0
	KSTEP0(384, 68, 100)
	KSTEP(416, 72, 104)
	KSTEP(448, 76, 108)
	KSTEP(480, 80, 112)
	KSTEP(512, 84, 116)
	KSTEP(544, 88, 120)
	KSTEP(576, 92, 124)
	KSTEP(608, 96, 128)
	CSCALE(16, 24)
	VCVTDQ2PS    Y4, Y4
	VFMADD231PS  Y4, Y11, Y0
	KSTEP0(640, 132, 164)
	KSTEP(672, 136, 168)
	KSTEP(704, 140, 172)
	KSTEP(736, 144, 176)
	KSTEP(768, 148, 180)
	KSTEP(800, 152, 184)
	KSTEP(832, 156, 188)
	KSTEP(864, 160, 192)
	CSCALE(32, 40)
	VCVTDQ2PS    Y4, Y4
	VFMADD231PS  Y4, Y11, Y0
	KSTEP0(896, 196, 228)
	KSTEP(928, 200, 232)
	KSTEP(960, 204, 236)
	KSTEP(992, 208, 240)
	KSTEP(1024, 212, 244)
	KSTEP(1056, 216, 248)
	KSTEP(1088, 220, 252)
	KSTEP(1120, 224, 256)
	CSCALE(48, 56)
	VCVTDQ2PS    Y4, Y4
	VFMADD231PS  Y4, Y11, Y0

	ADDQ $1152, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4x8sbloop

q4x8sbdone:
	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET
