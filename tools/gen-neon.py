#!/usr/bin/env python3
"""Writes inference/tensor/type_q8_0_arm64.s, the NEON Q8_0 kernels.

Go's arm64 assembler has no SDOT, SCVTF (vector), FMLA by element or the
vector FADD/FMUL, so those are WORD encodings. This script is their source:
each NEON instruction is written in GNU syntax, encoded by llvm-mc, and
emitted as a WORD with the mnemonic beside it. Run it after an edit:

    python3 tools/gen-neon.py            # needs llvm-mc on PATH

Float order (all kernels): llama.cpp's x86 AVX2 order, the one the amd64
kernels and the tests' dotQ8_0Lanes model follow. Per block the scale
product d = dw*da (float32), the exact int32 sums of the eight groups of
four quants (SDOT), and one fused multiply-add per group into eight
float32 lanes (two 4-lane vectors, lanes 0-3 and 4-7); at the end
(a0+a4 + a2+a6) + (a1+a5 + a3+a7), ggml's hsum_float_8.
"""
import os
import re
import subprocess
import sys

OUT = os.path.join(os.path.dirname(__file__), "..", "inference", "tensor", "type_q8_0_arm64.s")

lines = []


def go(s):
    """A line of Go assembly as is."""
    lines.append("\t" + s)


def label(s):
    lines.append(s + ":")


def raw(s):
    lines.append(s)


def neon(s):
    """A NEON instruction, later encoded as a WORD."""
    lines.append(("NEON", s))


def zero(*vs):
    for v in vs:
        go(f"VEOR V{v}.B16, V{v}.B16, V{v}.B16")


def hsum_store(lo, hi, dst):
    """(lo, hi) hold lanes 0-3 and 4-7; store their hsum_float_8 at dst."""
    neon(f"fadd v{lo}.4s, v{lo}.4s, v{hi}.4s")  # r = a[0:4] + a[4:8]
    neon(f"ext v{hi}.16b, v{lo}.16b, v{lo}.16b, #8")
    neon(f"fadd v{lo}.2s, v{lo}.2s, v{hi}.2s")  # (r0+r2, r1+r3)
    neon(f"faddp s{lo}, v{lo}.2s")  # (r0+r2) + (r1+r3)
    go(f"FMOVS F{lo}, {dst}")


def f16_scale(src, v, tmp="R4"):
    """Vv lane 0 = the F16 at (src) as float32."""
    go(f"MOVHU ({src}), {tmp}")
    go(f"FMOVS {tmp}, F{v}")
    go(f"FCVTHS F{v}, F{v}")


def pair(wq, aq, t0, t1, d, lane, acc0, acc1):
    """acc += d.s[lane] * (the eight 4-quant int sums of weights wq,wq+1 by activations aq,aq+1)."""
    zero(t0, t1)
    neon(f"sdot v{t0}.4s, v{wq}.16b, v{aq}.16b")
    neon(f"sdot v{t1}.4s, v{wq+1}.16b, v{aq+1}.16b")
    neon(f"scvtf v{t0}.4s, v{t0}.4s")
    neon(f"scvtf v{t1}.4s, v{t1}.4s")
    neon(f"fmla v{acc0}.4s, v{t0}.4s, v{d}.s[{lane}]")
    neon(f"fmla v{acc1}.4s, v{t1}.4s, v{d}.s[{lane}]")


def quants(ptr, v):
    """Vv, Vv+1 = the 32 quants of the block at (ptr)."""
    go(f"ADD $2, {ptr}, R7")
    go(f"VLD1 (R7), [V{v}.B16, V{v+1}.B16]")


# func dotQ8_0NEON(x, y *byte, nb int) float32
raw("")
raw("// func dotQ8_0NEON(x, y *byte, nb int) float32 (nb > 0)")
raw("TEXT ·dotQ8_0NEON(SB), NOSPLIT, $0-28")
go("MOVD x+0(FP), R0")
go("MOVD y+8(FP), R1")
go("MOVD nb+16(FP), R2")
zero(0, 1)
label("q8loop")
f16_scale("R0", 20)
f16_scale("R1", 21)
go("FMULS F21, F20, F20")  # d = dx*dy
quants("R0", 16)
quants("R1", 18)
pair(16, 18, 26, 27, 20, 0, 0, 1)
go("ADD $34, R0")
go("ADD $34, R1")
go("SUBS $1, R2")
go("BNE q8loop")
hsum_store(0, 1, "ret+24(FP)")
go("RET")

raw("")
raw("// The matmul kernels read the activation scales as float32 at s,")
raw("// s+sstride, ... (bytes) instead of the blocks' F16: d = dw*s, the same bits.")
raw("")
raw("// func dotQ8_0SNEON(w, a *byte, s *float32, sstride, nb int) float32 (nb > 0)")
raw("TEXT ·dotQ8_0SNEON(SB), NOSPLIT, $0-44")
go("MOVD w+0(FP), R0")
go("MOVD a+8(FP), R1")
go("MOVD s+16(FP), R9")
go("MOVD sstride+24(FP), R10")
go("MOVD nb+32(FP), R2")
zero(0, 1)
label("s1loop")
f16_scale("R0", 20)
go("FMOVS (R9), F21")
go("FMULS F21, F20, F20")  # d = dw*s
quants("R0", 16)
quants("R1", 18)
pair(16, 18, 26, 27, 20, 0, 0, 1)
go("ADD $34, R0")
go("ADD $34, R1")
go("ADD R10, R9")
go("SUBS $1, R2")
go("BNE s1loop")
hsum_store(0, 1, "ret+40(FP)")
go("RET")

raw("")
raw("// func dotQ8_0x4SNEON(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)")
raw("// Rows a, a+stride, a+2*stride, a+3*stride; their scales for block b are")
raw("// the four floats at s + b*sstride. Each weight block is loaded once.")
raw("TEXT ·dotQ8_0x4SNEON(SB), NOSPLIT, $0-56")
go("MOVD w+0(FP), R0")
go("MOVD a+8(FP), R1")
go("MOVD stride+16(FP), R3")
go("MOVD s+24(FP), R9")
go("MOVD sstride+32(FP), R10")
go("MOVD nb+40(FP), R2")
go("MOVD out+48(FP), R8")
zero(*range(8))
label("s4loop")
f16_scale("R0", 21)
go("VLD1 (R9), [V20.S4]")
neon("fmul v20.4s, v20.4s, v21.s[0]")  # d_k = s_k*dw
quants("R0", 16)
go("MOVD R1, R5")
for k in range(4):
    a = 22 + 2 * (k % 2)
    quants("R5", a)
    pair(16, a, 26 + 2 * (k % 2), 27 + 2 * (k % 2), 20, k, 2 * k, 2 * k + 1)
    if k < 3:
        go("ADD R3, R5")
go("ADD $34, R0")
go("ADD $34, R1")
go("ADD R10, R9")
go("SUBS $1, R2")
go("BNE s4loop")
for k in range(4):
    hsum_store(2 * k, 2 * k + 1, f"{4 * k}(R8)")
go("RET")

raw("")
raw("// func dotQ8_0x2x4SNEON(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)")
raw("// out[k] for weight row w and token k, out[4+k] for row w+wstride.")
raw("TEXT ·dotQ8_0x2x4SNEON(SB), NOSPLIT, $0-64")
go("MOVD w+0(FP), R0")
go("MOVD wstride+8(FP), R11")
go("MOVD a+16(FP), R1")
go("MOVD astride+24(FP), R3")
go("MOVD s+32(FP), R9")
go("MOVD sstride+40(FP), R10")
go("MOVD nb+48(FP), R2")
go("MOVD out+56(FP), R8")
go("ADD R0, R11, R11")  # second weight row
zero(*range(16))
label("s8loop")
go("VLD1 (R9), [V20.S4]")
f16_scale("R0", 22)
f16_scale("R11", 23)
neon("fmul v21.4s, v20.4s, v23.s[0]")  # row 1: d_k = s_k*dw1
neon("fmul v20.4s, v20.4s, v22.s[0]")  # row 0: d_k = s_k*dw0
quants("R0", 16)
quants("R11", 18)
go("MOVD R1, R5")
for k in range(4):
    a = 24 + 2 * (k % 2)
    quants("R5", a)
    pair(16, a, 28, 29, 20, k, 2 * k, 2 * k + 1)
    pair(18, a, 30, 31, 21, k, 8 + 2 * k, 9 + 2 * k)
    if k < 3:
        go("ADD R3, R5")
go("ADD $34, R0")
go("ADD $34, R11")
go("ADD $34, R1")
go("ADD R10, R9")
go("SUBS $1, R2")
go("BNE s8loop")
for k in range(8):
    hsum_store(2 * k, 2 * k + 1, f"{4 * k}(R8)")
go("RET")


def encode(insns):
    src = "\n".join(insns) + "\n"
    r = subprocess.run(["llvm-mc", "-triple=aarch64", "-mattr=+neon,+dotprod", "-show-encoding"],
                       input=src, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    enc = re.findall(r"encoding: \[0x(..),0x(..),0x(..),0x(..)\]", r.stdout)
    if len(enc) != len(insns):
        sys.exit(f"llvm-mc gave {len(enc)} encodings for {len(insns)} instructions")
    return ["0x" + d + c + b + a for a, b, c, d in enc]


insns = [l[1] for l in lines if isinstance(l, tuple)]
words = iter(encode(insns))
out = [
    "// Code generated by tools/gen-neon.py; DO NOT EDIT.",
    "",
    "//go:build arm64",
    "",
    "// NEON Q8_0 x Q8_0 kernels (SDOT, ARMv8.2 dotprod): see tools/gen-neon.py",
    "// for the float order, llama.cpp's x86 AVX2 one, so these give the amd64",
    "// kernels' bits.",
    "",
    '#include "textflag.h"',
]
for l in lines:
    if isinstance(l, tuple):
        out.append(f"\tWORD ${next(words)} // {l[1]}")
    else:
        out.append(l)
with open(OUT, "w") as f:
    f.write("\n".join(out) + "\n")
