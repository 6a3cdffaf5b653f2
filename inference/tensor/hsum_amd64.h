// HSUM8 reduces the 8 lanes of Y(r) to its low lane: (lo+hi), then
// movehl, then movehdup, as ggml's hsum_float_8. Clobbers X(t).
#define HSUM8(Yr, Xr, Xt) \
	VEXTRACTF128 $1, Yr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVHLPS     Xr, Xr, Xt \
	VADDPS       Xt, Xr, Xr \
	VMOVSHDUP    Xr, Xt     \
	VADDSS       Xt, Xr, Xr
