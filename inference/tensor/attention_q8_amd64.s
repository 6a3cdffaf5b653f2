#include "textflag.h"

// func madQ8AVX2(acc *float32, v *byte, vstride int, ms, vs *float32, npos, nb int)
// For each position p: acc *= ms[p] unless it is 1, then acc += dequant(V
// row p) * vs[p], one FMA per value (madQ8Plain's arithmetic). acc holds
// nb*32 floats; row p is nb Q8_0 blocks at v + p*vstride.
TEXT ·madQ8AVX2(SB), NOSPLIT, $0-56
	MOVQ acc+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ vstride+16(FP), DX
	MOVQ ms+24(FP), R8
	MOVQ vs+32(FP), R9
	MOVQ npos+40(FP), CX
	MOVQ nb+48(FP), R10
	TESTQ CX, CX
	JLE   mqdone
	TESTQ R10, R10
	JLE   mqdone
	MOVL  $0x3f800000, AX
	VMOVD AX, X7 // 1.0

mqpos:
	VMOVSS   (R8), X0
	VUCOMISS X7, X0
	JNE      mqscale
	JP       mqscale
	JMP      mqadd

mqscale:
	VBROADCASTSS X0, Y0
	MOVQ         DI, BX
	MOVQ         R10, R11

mqsloop:
	VMULPS  (BX), Y0, Y1
	VMOVUPS Y1, (BX)
	VMULPS  32(BX), Y0, Y1
	VMOVUPS Y1, 32(BX)
	VMULPS  64(BX), Y0, Y1
	VMOVUPS Y1, 64(BX)
	VMULPS  96(BX), Y0, Y1
	VMOVUPS Y1, 96(BX)
	ADDQ    $128, BX
	DECQ    R11
	JNZ     mqsloop

mqadd:
	VBROADCASTSS (R9), Y6 // w
	MOVQ         SI, BX
	MOVQ         DI, R12
	MOVQ         R10, R11

mqbloop:
	MOVWLZX      (BX), AX
	VMOVD        AX, X2
	VCVTPH2PS    X2, X2
	VBROADCASTSS X2, Y2 // d

	VPMOVSXBD   2(BX), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     (R12), Y4
	VFMADD231PS Y6, Y3, Y4
	VMOVUPS     Y4, (R12)

	VPMOVSXBD   10(BX), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     32(R12), Y4
	VFMADD231PS Y6, Y3, Y4
	VMOVUPS     Y4, 32(R12)

	VPMOVSXBD   18(BX), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     64(R12), Y4
	VFMADD231PS Y6, Y3, Y4
	VMOVUPS     Y4, 64(R12)

	VPMOVSXBD   26(BX), Y3
	VCVTDQ2PS   Y3, Y3
	VMULPS      Y2, Y3, Y3
	VMOVUPS     96(R12), Y4
	VFMADD231PS Y6, Y3, Y4
	VMOVUPS     Y4, 96(R12)

	ADDQ $34, BX
	ADDQ $128, R12
	DECQ R11
	JNZ  mqbloop

	ADDQ DX, SI
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JNZ  mqpos

mqdone:
	VZEROUPPER
	RET
