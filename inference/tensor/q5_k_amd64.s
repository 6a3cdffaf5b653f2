#include "textflag.h"

// dotQ5_KAVX2 follows llama.cpp's AVX2 ggml_vec_dot_q5_K_q8_K: as Q4_K,
// with the fifth bits from qh added as 16, and the mins term summed to one
// integer per superblock and fused into a scalar; dotQ5_KPlain is its Go
// model, bit for bit.

DATA k5shuf<>+0(SB)/8, $0x8000800080008000
DATA k5shuf<>+8(SB)/8, $0x8000800080008000
DATA k5shuf<>+16(SB)/8, $0x8000800080008000
DATA k5shuf<>+24(SB)/8, $0x8000800080008000
DATA k5shuf<>+32(SB)/8, $0x8001800180018001
DATA k5shuf<>+40(SB)/8, $0x8001800180018001
DATA k5shuf<>+48(SB)/8, $0x8001800180018001
DATA k5shuf<>+56(SB)/8, $0x8001800180018001
DATA k5shuf<>+64(SB)/8, $0x8002800280028002
DATA k5shuf<>+72(SB)/8, $0x8002800280028002
DATA k5shuf<>+80(SB)/8, $0x8002800280028002
DATA k5shuf<>+88(SB)/8, $0x8002800280028002
DATA k5shuf<>+96(SB)/8, $0x8003800380038003
DATA k5shuf<>+104(SB)/8, $0x8003800380038003
DATA k5shuf<>+112(SB)/8, $0x8003800380038003
DATA k5shuf<>+120(SB)/8, $0x8003800380038003
DATA k5shuf<>+128(SB)/8, $0x8004800480048004
DATA k5shuf<>+136(SB)/8, $0x8004800480048004
DATA k5shuf<>+144(SB)/8, $0x8004800480048004
DATA k5shuf<>+152(SB)/8, $0x8004800480048004
DATA k5shuf<>+160(SB)/8, $0x8005800580058005
DATA k5shuf<>+168(SB)/8, $0x8005800580058005
DATA k5shuf<>+176(SB)/8, $0x8005800580058005
DATA k5shuf<>+184(SB)/8, $0x8005800580058005
DATA k5shuf<>+192(SB)/8, $0x8006800680068006
DATA k5shuf<>+200(SB)/8, $0x8006800680068006
DATA k5shuf<>+208(SB)/8, $0x8006800680068006
DATA k5shuf<>+216(SB)/8, $0x8006800680068006
DATA k5shuf<>+224(SB)/8, $0x8007800780078007
DATA k5shuf<>+232(SB)/8, $0x8007800780078007
DATA k5shuf<>+240(SB)/8, $0x8007800780078007
DATA k5shuf<>+248(SB)/8, $0x8007800780078007
GLOBL k5shuf<>(SB), RODATA|NOPTR, $256

// K4SCALES: see q4_k_amd64.s (scales to R8, mins to R12).
#define K4SCALES \
	MOVL 4(SI), R8 \
	MOVL 8(SI), R9 \
	MOVL 12(SI), R10 \
	MOVL R10, R11 \
	SHRL $4, R11 \
	ANDL $0x0f0f0f0f, R11 \
	MOVL R9, R12 \
	SHRL $6, R12 \
	ANDL $0x03030303, R12 \
	SHLL $4, R12 \
	ORL  R12, R11 \
	MOVL R9, R12 \
	ANDL $0x3f3f3f3f, R12 \
	ANDL $0x0f0f0f0f, R10 \
	MOVL R8, R13 \
	SHRL $6, R13 \
	ANDL $0x03030303, R13 \
	SHLL $4, R13 \
	ORL  R13, R10 \
	ANDL $0x3f3f3f3f, R8 \
	SHLQ $32, R10 \
	ORQ  R10, R8 \
	SHLQ $32, R11 \
	ORQ  R11, R12

// Q5CHUNK handles chunk c: low nibbles at qoff(SI) with fifth bit s0 of qh
// (Y14), brought to bit 4 by shift op0/n0 and masked with Y5 (0x10), high
// nibbles with bit s0+1 by op1/n1; then as Q4CHUNK.
#define Q5CHUNK(qoff, yoff, soff, op0, n0, op1, n1) \
	VMOVDQU    qoff(SI), Y9 \
	VPAND      Y15, Y9, Y10 \
	VPSRLW     $4, Y9, Y9 \
	VPAND      Y15, Y9, Y9 \
	op0        $n0, Y14, Y11 \
	op1        $n1, Y14, Y12 \
	VPAND      Y5, Y11, Y11 \
	VPAND      Y5, Y12, Y12 \
	VPOR       Y11, Y10, Y10 \
	VPOR       Y12, Y9, Y9 \
	VPMADDUBSW yoff(DI), Y10, Y10 \
	VPMADDUBSW 32+yoff(DI), Y9, Y9 \
	VPSHUFB    k5shuf<>+soff(SB), Y8, Y11 \
	VPSHUFB    k5shuf<>+32+soff(SB), Y8, Y12 \
	VPMADDWD   Y11, Y10, Y10 \
	VPMADDWD   Y12, Y9, Y9 \
	VPADDD     Y9, Y10, Y10 \
	VPADDD     Y10, Y13, Y13

// func dotQ5_KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ5_KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // summs
	MOVL   $0x0f0f0f0f, AX
	VMOVD  AX, X15
	VPBROADCASTD X15, Y15
	MOVL   $0x10101010, AX
	VMOVD  AX, X5
	VPBROADCASTD X5, Y5
	TESTQ  CX, CX
	JLE    q5kdone

q5kloop:
	MOVWLZX   (SI), AX
	MOVWLZX   2(SI), BX
	VMOVD     AX, X2
	VMOVD     BX, X3
	VCVTPH2PS X2, X2
	VCVTPH2PS X3, X3
	VMOVSS    (DI), X4
	VMULSS    X4, X2, X2 // d = y.d * x.d
	VMULSS    X4, X3, X3 // y.d * x.dmin
	VBROADCASTSS X2, Y2

	K4SCALES
	VMOVQ        R8, X4
	VPBROADCASTQ X4, Y8
	VMOVQ        R12, X7
	VPMOVZXBW    X7, X7

	// Mins: one integer per superblock, then summs += dmin * it.
	VMOVDQU      260(DI), Y6
	VEXTRACTI128 $1, Y6, X4
	VPHADDW      X4, X6, X6
	VPMADDWD     X7, X6, X6
	VPSHUFD      $0x4e, X6, X4
	VPADDD       X4, X6, X6
	VPSHUFD      $0xb1, X6, X4
	VPADDD       X4, X6, X6
	VCVTDQ2PS    X6, X6
	VFNMADD231SS X6, X3, X1

	VMOVDQU 16(SI), Y14 // qh
	VPXOR   Y13, Y13, Y13
	Q5CHUNK(48, 4, 0, VPSLLW, 4, VPSLLW, 3)
	Q5CHUNK(80, 68, 64, VPSLLW, 2, VPSLLW, 1)
	Q5CHUNK(112, 132, 128, VPSRLW, 0, VPSRLW, 1)
	Q5CHUNK(144, 196, 192, VPSRLW, 2, VPSRLW, 3)

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y2, Y0

	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q5kloop

q5kdone:
	VEXTRACTF128 $1, Y0, X2
	VADDPS       X2, X0, X0
	VMOVHLPS     X0, X0, X2
	VADDPS       X2, X0, X0
	VMOVSHDUP    X0, X2
	VADDSS       X2, X0, X0
	VADDSS       X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// dotQ5_KRowsZMM is dotQ5_KAVX2 on 512-bit registers for nrows weight
// rows wstride bytes apart against one Q8_K row (decode's inner loop in
// one call). Each 512-bit step covers one 64-value chunk: the low nibbles
// (values 0..31, scale 2c) in the low 256 bits, the high nibbles (32..63,
// scale 2c+1) in the high; VPDPWSSD does VPMADDWD+VPADDD. The halves'
// int32 lanes are added before the one FMA per superblock, and the mins
// term is dotQ5_KAVX2's, so every row keeps dotQ5_KPlain's bits.

// Q5ZCHUNK adds chunk c (ql at qoff, activations at yoff) into acc: shuf
// holds its scales' VPSHUFB control (k5shuf<>+64c); hop/hsh bring bit 2c
// of Z14 (qh low, qh>>1 high) to bit 4. K1 selects the high 256 bits,
// whose copy of ql is shifted to its high nibbles.
#define Q5ZCHUNK(qoff, yoff, shuf, hop, hsh, acc) \
	VBROADCASTI64X4 qoff(SI), Z9 \
	VPSRLW          $4, Z9, K1, Z9 \
	VPANDD          Z15, Z9, Z9 \
	hop             hsh, Z14, Z10 \
	VPTERNLOGD      $0xf8, Z5, Z10, Z9 \
	VPMADDUBSW      yoff(DI), Z9, Z9 \
	VPSHUFB         shuf, Z8, Z12 \
	VPDPWSSD        Z12, Z9, acc

// func dotQ5_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)
TEXT ·dotQ5_KRowsZMM(SB), NOSPLIT, $0-48
	MOVQ  nb+24(FP), CX
	MOVQ  nrows+32(FP), DX
	TESTQ CX, CX
	JLE   q5zret
	TESTQ DX, DX
	JLE   q5zret
	MOVL         $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z15
	MOVL         $0x10101010, AX
	VPBROADCASTD AX, Z5
	VMOVDQU64    k5shuf<>+0(SB), Z16
	VMOVDQU64    k5shuf<>+64(SB), Z17
	VMOVDQU64    k5shuf<>+128(SB), Z18
	VMOVDQU64    k5shuf<>+192(SB), Z19
	MOVL         $0xffff0000, AX
	KMOVD        AX, K1

q5zrow:
	// K4SCALES takes R8-R13: the row's pointers live in the argument slots.
	MOVQ   w+0(FP), SI
	MOVQ   x+16(FP), DI
	MOVQ   nb+24(FP), CX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // summs

q5zblock:
	MOVWLZX   (SI), AX
	MOVWLZX   2(SI), BX
	VMOVD     AX, X2
	VMOVD     BX, X3
	VCVTPH2PS X2, X2
	VCVTPH2PS X3, X3
	VMOVSS    (DI), X4
	VMULSS    X4, X2, X2 // d = y.d * x.d
	VMULSS    X4, X3, X3 // y.d * x.dmin
	VBROADCASTSS X2, Y2

	K4SCALES
	VMOVQ        R8, X4
	VPBROADCASTQ X4, Z8
	VMOVQ        R12, X7
	VPMOVZXBW    X7, X7

	// Mins: one integer per superblock, then summs += dmin * it.
	VMOVDQU      260(DI), Y6
	VEXTRACTI128 $1, Y6, X4
	VPHADDW      X4, X6, X6
	VPMADDWD     X7, X6, X6
	VPSHUFD      $0x4e, X6, X4
	VPADDD       X4, X6, X6
	VPSHUFD      $0xb1, X6, X4
	VPADDD       X4, X6, X6
	VCVTDQ2PS    X6, X6
	VFNMADD231SS X6, X3, X1

	VBROADCASTI64X4 16(SI), Z14 // qh in both halves,
	VPSRLW          $1, Z14, K1, Z14 // the high one >> 1 (bit 2c+1 to 2c)
	VPXORD          Z13, Z13, Z13
	VPXORD          Z11, Z11, Z11
	Q5ZCHUNK(48, 4, Z16, VPSLLW, $4, Z13)
	Q5ZCHUNK(80, 68, Z17, VPSLLW, $2, Z11)
	Q5ZCHUNK(112, 132, Z18, VPSRLW, $0, Z13)
	Q5ZCHUNK(144, 196, Z19, VPSRLW, $2, Z11)
	VPADDD        Z11, Z13, Z13
	VEXTRACTI64X4 $1, Z13, Y10
	VPADDD        Y10, Y13, Y13

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y2, Y0

	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q5zblock

	VEXTRACTF128 $1, Y0, X2
	VADDPS       X2, X0, X0
	VMOVHLPS     X0, X0, X2
	VADDPS       X2, X0, X0
	VMOVSHDUP    X0, X2
	VADDSS       X2, X0, X0
	VADDSS       X1, X0, X0
	MOVQ         out+40(FP), AX
	MOVSS        X0, (AX)
	ADDQ         $4, out+40(FP)
	MOVQ         wstride+8(FP), AX
	ADDQ         AX, w+0(FP)
	DECQ         DX
	JNZ          q5zrow

	VZEROUPPER

q5zret:
	RET
