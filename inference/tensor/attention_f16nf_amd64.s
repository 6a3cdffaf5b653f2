#include "textflag.h"

// func wsumF16x64AVX2(lanes *float32, v *uint16, vstride int, w *uint16, npos, ncols int)
// For each position p < npos in order: lane row p%64 (ncols floats at
// lanes + (p%64)*ncols*4) += f32(w[p]) * f32(V row p), one FMA per value
// (vstride in bytes, ncols a multiple of 8): wsumF16x64Plain.
TEXT ·wsumF16x64AVX2(SB), NOSPLIT, $0-48
	MOVQ lanes+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ vstride+16(FP), DX
	MOVQ w+24(FP), R8
	MOVQ npos+32(FP), CX
	MOVQ ncols+40(FP), R11
	SHLQ $2, R11 // lane row in bytes
	XORQ AX, AX

wfpos:
	CMPQ         AX, CX
	JGE          wfdone
	MOVWLZX      (R8)(AX*2), BX
	VMOVD        BX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y0 // the weight
	MOVQ         AX, R9
	ANDQ         $63, R9
	IMULQ        R11, R9
	ADDQ         DI, R9 // its lane row
	XORQ         BX, BX // lane byte offset
	XORQ         R10, R10 // V byte offset
	CMPQ         R11, $64
	JLT          wfcol

wfcol2:
	// Two runs of 8 columns per step while 16 remain.
	VCVTPH2PS   (SI)(R10*1), Y1
	VCVTPH2PS   16(SI)(R10*1), Y2
	VMOVUPS     (R9)(BX*1), Y3
	VMOVUPS     32(R9)(BX*1), Y4
	VFMADD231PS Y1, Y0, Y3
	VFMADD231PS Y2, Y0, Y4
	VMOVUPS     Y3, (R9)(BX*1)
	VMOVUPS     Y4, 32(R9)(BX*1)
	ADDQ        $32, R10
	ADDQ        $64, BX
	LEAQ        64(BX), R12
	CMPQ        R12, R11
	JLE         wfcol2
	CMPQ        BX, R11
	JGE         wfnext

wfcol:
	VCVTPH2PS   (SI)(R10*1), Y1
	VMOVUPS     (R9)(BX*1), Y3
	VFMADD231PS Y1, Y0, Y3
	VMOVUPS     Y3, (R9)(BX*1)
	ADDQ        $16, R10
	ADDQ        $32, BX
	CMPQ        BX, R11
	JLT         wfcol

wfnext:
	ADDQ DX, SI
	INCQ AX
	JMP  wfpos

wfdone:
	VZEROUPPER
	RET
