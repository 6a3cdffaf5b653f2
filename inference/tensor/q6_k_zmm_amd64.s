#include "textflag.h"

// dotQ6_KRowsZMM is dotQ6_KAVX2 (q6_k_amd64.s) on 512-bit registers, for
// nrows weight rows wstride bytes apart against one Q8_K row: the decode
// matmul's inner loop in one call. Each 512-bit step covers two of the
// AVX2 kernel's 32-value parts (one per 256-bit half); VPDPWSSD does its
// VPMADDWD+VPADDD; the two halves' int32 lanes are added before the
// offset, the int->float conversion and the one FMA per superblock, so
// every row gets the AVX2 kernel's (and dotQ6_KPlain's) bits: only exact
// integer sums are regrouped.

// k6zperm<>+64g, as VPERMW indices into the 16 int16 scales, gives scale
// 4g+j in 128-bit lane j: the scales of values 64g..64g+63 of a superblock.
DATA k6zperm<>+0(SB)/8, $0x0000000000000000
DATA k6zperm<>+8(SB)/8, $0x0000000000000000
DATA k6zperm<>+16(SB)/8, $0x0001000100010001
DATA k6zperm<>+24(SB)/8, $0x0001000100010001
DATA k6zperm<>+32(SB)/8, $0x0002000200020002
DATA k6zperm<>+40(SB)/8, $0x0002000200020002
DATA k6zperm<>+48(SB)/8, $0x0003000300030003
DATA k6zperm<>+56(SB)/8, $0x0003000300030003
DATA k6zperm<>+64(SB)/8, $0x0004000400040004
DATA k6zperm<>+72(SB)/8, $0x0004000400040004
DATA k6zperm<>+80(SB)/8, $0x0005000500050005
DATA k6zperm<>+88(SB)/8, $0x0005000500050005
DATA k6zperm<>+96(SB)/8, $0x0006000600060006
DATA k6zperm<>+104(SB)/8, $0x0006000600060006
DATA k6zperm<>+112(SB)/8, $0x0007000700070007
DATA k6zperm<>+120(SB)/8, $0x0007000700070007
DATA k6zperm<>+128(SB)/8, $0x0008000800080008
DATA k6zperm<>+136(SB)/8, $0x0008000800080008
DATA k6zperm<>+144(SB)/8, $0x0009000900090009
DATA k6zperm<>+152(SB)/8, $0x0009000900090009
DATA k6zperm<>+160(SB)/8, $0x000a000a000a000a
DATA k6zperm<>+168(SB)/8, $0x000a000a000a000a
DATA k6zperm<>+176(SB)/8, $0x000b000b000b000b
DATA k6zperm<>+184(SB)/8, $0x000b000b000b000b
DATA k6zperm<>+192(SB)/8, $0x000c000c000c000c
DATA k6zperm<>+200(SB)/8, $0x000c000c000c000c
DATA k6zperm<>+208(SB)/8, $0x000d000d000d000d
DATA k6zperm<>+216(SB)/8, $0x000d000d000d000d
DATA k6zperm<>+224(SB)/8, $0x000e000e000e000e
DATA k6zperm<>+232(SB)/8, $0x000e000e000e000e
DATA k6zperm<>+240(SB)/8, $0x000f000f000f000f
DATA k6zperm<>+248(SB)/8, $0x000f000f000f000f
GLOBL k6zperm<>(SB), RODATA|NOPTR, $256

// Per-word shift counts that move a value's high pair (bit 2t of qh) to
// bits 4-5: k6zshl<> left by 4 (t=0, low 256 bits) and 2 (t=1), k6zshr<>
// right by 0 (t=2) and 2 (t=3). The pairs stay inside their byte.
DATA k6zshl<>+0(SB)/8, $0x0004000400040004
DATA k6zshl<>+8(SB)/8, $0x0004000400040004
DATA k6zshl<>+16(SB)/8, $0x0004000400040004
DATA k6zshl<>+24(SB)/8, $0x0004000400040004
DATA k6zshl<>+32(SB)/8, $0x0002000200020002
DATA k6zshl<>+40(SB)/8, $0x0002000200020002
DATA k6zshl<>+48(SB)/8, $0x0002000200020002
DATA k6zshl<>+56(SB)/8, $0x0002000200020002
GLOBL k6zshl<>(SB), RODATA|NOPTR, $64

DATA k6zshr<>+0(SB)/8, $0
DATA k6zshr<>+8(SB)/8, $0
DATA k6zshr<>+16(SB)/8, $0
DATA k6zshr<>+24(SB)/8, $0
DATA k6zshr<>+32(SB)/8, $0x0002000200020002
DATA k6zshr<>+40(SB)/8, $0x0002000200020002
DATA k6zshr<>+48(SB)/8, $0x0002000200020002
DATA k6zshr<>+56(SB)/8, $0x0002000200020002
GLOBL k6zshr<>(SB), RODATA|NOPTR, $64

// Q6ZHALF adds values 128h..128h+127 of the superblock at SI into the
// int32 lanes of acc: ql at qoff (64 bytes: parts t=0,1 in the low
// nibbles, t=2,3 in the high), qh at hoff (32 bytes, in both 256-bit
// halves of Z2), activations from yoff(DI), scales by the VPERMW indices
// plo (values 0..63 of the half) and phi (64..127).
#define Q6ZHALF(qoff, hoff, yoff, plo, phi, acc) \
	VMOVDQU64       qoff(SI), Z3 \
	VBROADCASTI64X4 hoff(SI), Z2 \
	VPANDD          Z15, Z3, Z9 \
	VPSLLVW         Z20, Z2, Z10 \
	VPTERNLOGD      $0xf8, Z5, Z10, Z9 \
	VPMADDUBSW      yoff(DI), Z9, Z9 \
	VPERMW          Z8, plo, Z12 \
	VPDPWSSD        Z12, Z9, acc \
	VPSRLW          $4, Z3, Z3 \
	VPANDD          Z15, Z3, Z3 \
	VPSRLVW         Z21, Z2, Z10 \
	VPTERNLOGD      $0xf8, Z5, Z10, Z3 \
	VPMADDUBSW      64+yoff(DI), Z3, Z3 \
	VPERMW          Z8, phi, Z12 \
	VPDPWSSD        Z12, Z3, acc

// func dotQ6_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)
TEXT ·dotQ6_KRowsZMM(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R8
	MOVQ wstride+8(FP), R9
	MOVQ x+16(FP), R10
	MOVQ nb+24(FP), BX
	MOVQ nrows+32(FP), DX
	MOVQ out+40(FP), R11
	TESTQ BX, BX
	JLE   q6zret
	TESTQ DX, DX
	JLE   q6zret
	MOVL         $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z15
	MOVL         $0x30303030, AX
	VPBROADCASTD AX, Z5
	VMOVDQU64    k6zperm<>+0(SB), Z16
	VMOVDQU64    k6zperm<>+64(SB), Z17
	VMOVDQU64    k6zperm<>+128(SB), Z18
	VMOVDQU64    k6zperm<>+192(SB), Z19
	VMOVDQU64    k6zshl<>(SB), Z20
	VMOVDQU64    k6zshr<>(SB), Z21

q6zrow:
	MOVQ   R8, SI
	MOVQ   R10, DI
	MOVQ   BX, CX
	VXORPS Y0, Y0, Y0 // acc

q6zblock:
	MOVWLZX      208(SI), AX
	VMOVD        AX, X1
	VCVTPH2PS    X1, X1
	VMULSS       (DI), X1, X1 // d = y.d * x.d
	VBROADCASTSS X1, Y1
	VPMOVSXBW    192(SI), Y8 // the 16 scales as int16

	VPXORD Z13, Z13, Z13
	VPXORD Z11, Z11, Z11
	Q6ZHALF(0, 128, 4, Z16, Z17, Z13)
	Q6ZHALF(64, 160, 132, Z18, Z19, Z11)
	VPADDD        Z11, Z13, Z13
	VEXTRACTI64X4 $1, Z13, Y14
	VPADDD        Y14, Y13, Y13
	// The offset: 32 * (bsums . scales) per pair of 16-value groups.
	VPMADDWD 260(DI), Y8, Y14
	VPSLLD   $5, Y14, Y14
	VPSUBD   Y14, Y13, Y13

	VCVTDQ2PS   Y13, Y13
	VFMADD231PS Y13, Y1, Y0

	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q6zblock

	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	MOVSS        X0, (R11)
	ADDQ         $4, R11
	ADDQ         R9, R8
	DECQ         DX
	JNZ          q6zrow

	VZEROUPPER

q6zret:
	RET
