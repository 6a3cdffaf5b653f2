// Macros shared by the 32-value-block kernels (type_q4_0_amd64.s ...).

// LQHSUM8 is hsum_float_8 of Y0 into X0: high half plus low half, then
// (0+2)+(1+3). Clobbers X1, X2.
#define LQHSUM8 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X0, X1, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1 \
	VADDSS       X1, X0, X0

// LQBCAST32(imm, reg, y) broadcasts a 32-bit constant to every dword of y.
#define LQBCAST32(imm, reg, x, y) \
	MOVL         imm, reg \
	VMOVD        reg, x \
	VPBROADCASTD x, y

// LQF16MUL(a, b) leaves F16(a) * F16(b) (each a 16-bit memory operand) in
// every lane of Y1. Clobbers AX, X2.
#define LQF16MUL(a, b) \
	MOVWLZX   a, AX \
	VMOVD     AX, X1 \
	VCVTPH2PS X1, X1 \
	MOVWLZX   b, AX \
	VMOVD     AX, X2 \
	VCVTPH2PS X2, X2 \
	VMULSS    X2, X1, X1 \
	VBROADCASTSS X1, Y1

// LQNIBBLES(mem, y) is bytes_from_nibbles_32 of the 16 bytes at mem, with
// Y7 holding 0x0F bytes. Clobbers X3.
#define LQNIBBLES(mem, x, y) \
	VMOVDQU     mem, x \
	VPSRLW      $4, x, X3 \
	VINSERTI128 $1, X3, y, y \
	VPAND       Y7, y, y

// LQSIGNEDDOT(qx, qy) is mul_sum_i8_pairs_float: qy becomes the eight
// float32 lane sums of qx*qy, with Y5 holding int16 ones. Clobbers Y4.
#define LQSIGNEDDOT(qx, qy) \
	VPSIGNB    qx, qx, Y4 \
	VPSIGNB    qx, qy, qy \
	VPMADDUBSW qy, Y4, qy \
	VPMADDWD   Y5, qy, qy \
	VCVTDQ2PS  qy, qy

// LQBITS(mem, y) is bytes_from_bits_32 of the 4 bytes at mem: byte j of y
// is 0xFF where bit j is set. Y8 holds the shuffle, Y9 the bit mask; Y10
// is clobbered.
#define LQBITS(mem, y) \
	VPBROADCASTD mem, y \
	VPSHUFB      Y8, y, y \
	VPOR         Y9, y, y \
	VPCMPEQB     Y10, Y10, Y10 \
	VPCMPEQB     Y10, y, y

// LQBITSCONST loads Y8 and Y9 for LQBITS. Clobbers AX, X10.
#define LQBITSCONST \
	MOVQ         $0x0101010101010101, AX \
	VMOVQ        AX, X10 \
	VPSLLDQ      $8, X10, X10 \
	MOVQ         $0x0303030303030303, AX \
	VMOVQ        AX, X8 \
	VPSLLDQ      $8, X8, X8 \
	MOVQ         $0x0202020202020202, AX \
	VMOVQ        AX, X9 \
	VPOR         X9, X8, X8 \
	VINSERTI128  $1, X8, Y10, Y8 \
	MOVQ         $0x7fbfdfeff7fbfdfe, AX \
	VMOVQ        AX, X9 \
	VPBROADCASTQ X9, Y9
