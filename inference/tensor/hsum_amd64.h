// HSUM8 reduces the 8 lanes of Y(r) to its low lane: (lo+hi), then
// movehl, then movehdup, as ggml's hsum_float_8. Clobbers X(t).
#define HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr

// The GGML-order F32 dots (DotF32GGML, attention's scores) hold four
// 16-lane accumulators in Y0-Y7, accumulator a in Y(2a) (lanes 0-7) and
// Y(2a+1) (lanes 8-15).

// ZERO8 clears Y0-Y7.
#define ZERO8 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

// F32STEP64(x, y) adds the products of the 64 floats at (x) and (y) into
// the accumulators; clobbers Y8-Y15.
#define F32STEP64(x, y) \
	VMOVUPS     (x), Y8          \
	VFMADD231PS (y), Y8, Y0      \
	VMOVUPS     32(x), Y9        \
	VFMADD231PS 32(y), Y9, Y1    \
	VMOVUPS     64(x), Y10       \
	VFMADD231PS 64(y), Y10, Y2   \
	VMOVUPS     96(x), Y11       \
	VFMADD231PS 96(y), Y11, Y3   \
	VMOVUPS     128(x), Y12      \
	VFMADD231PS 128(y), Y12, Y4  \
	VMOVUPS     160(x), Y13      \
	VFMADD231PS 160(y), Y13, Y5  \
	VMOVUPS     192(x), Y14      \
	VFMADD231PS 192(y), Y14, Y6  \
	VMOVUPS     224(x), Y15      \
	VFMADD231PS 224(y), Y15, Y7

// FOLD8 sets Y0 to ((Y0+Y4)+(Y2+Y6)) + ((Y1+Y5)+(Y3+Y7)): for the
// accumulators, 0+2, 1+3, 0+1 and lanes i+8 into i; for sixteen lane rows
// loaded as Y(l) = row l + row l+8, reduce16's first three steps.
#define FOLD8 \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	VADDPS Y2, Y0, Y0 \
	VADDPS Y3, Y1, Y1 \
	VADDPS Y1, Y0, Y0
