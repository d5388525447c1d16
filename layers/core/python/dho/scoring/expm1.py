"""Branch-free ``expm1(x)`` for x <= 0, bit for bit the C library's on this platform (checked at import).

Why: the EWMA weight ``alpha = -expm1(-dt * ln 2 / half_life)`` is needed for every reading and dt
never repeats under sampling jitter. A libm call per reading cannot be vectorised (~5 ns each on
the benchmark VM); this version is straight-line arithmetic, so a loop of it compiles to SIMD code
(4 readings per AVX2/AVX-512VL instruction: ~3 ns per reading for the whole loop, memory included).

Exactness: the EWMA outputs are tested against ``reference.py``, which calls ``math.expm1``, and a
single ulp in alpha can move a near-cancelling residual (value - EWMA) by far more than the tests'
1e-9 relative tolerance (e.g. half-life 0.5 h, readings a day apart: alpha = 1 - 32 ulp). So this
is not "an accurate expm1" but a *port* of glibc's: fdlibm's ``s_expm1.c`` as compiled in the x86-64
FMA variant that glibc selects on CPUs with FMA (read from the disassembly of Debian's glibc 2.36
``libm.so.6``). Same range reduction (k = 0 for |x| <= ln2/2, -1 below 1.5 ln2, else
trunc(x/ln2 - 0.5); Cody-Waite split ln2_hi + ln2_lo), same rational approximation and constants,
same operation order and the same fused multiply-adds; glibc's branches become selects (every
branch's result is computed and the one glibc would take is kept), so the result is glibc's.

``LIBM_MATCH`` (computed once at import) says whether this process's ``math.expm1`` agrees bit for
bit with the port on ~140 000 points covering every branch densely and 64 ulps around each branch
edge; the trend kernel uses the port only when it does. Other C libraries, other glibc builds or
CPUs without FMA get the libm call, so the kernel's EWMA is bit-identical to the reference's on
every platform. ``tests/unit/scoring/test_scoring_expm1.py`` checks further points.

The algorithm and constants are fdlibm's, whose notice is kept here as it asks:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this software is freely granted,
    provided that this notice is preserved.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

# glibc / fdlibm s_expm1.c constants (as read from libm's tables: the exact values).
_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # ln2 with the low 32 bits of the mantissa zero
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # ln2 - _LN2_HI
_INV_LN2 = float.fromhex("0x1.71547652b82fep+0")
_Q1 = float.fromhex("-0x1.11111111110f4p-5")
_Q2 = float.fromhex("0x1.a01a019fe5585p-10")
_Q3 = float.fromhex("-0x1.4ce199eaadbb7p-14")
_Q4 = float.fromhex("0x1.0cfca86e65239p-18")
_Q5 = float.fromhex("-0x1.afdb76e09c32dp-23")
# Branch thresholds on the high 32 bits of |x| (glibc compares the high word only).
_HX_TINY = 0x3C8FFFFF  # |x| < 2^-54: expm1(x) = x
_HX_HALF_LN2 = 0x3FD62E42  # |x| <= ln2/2 (high word): k = 0, no reduction
_HX_1_5_LN2 = 0x3FF0A2B1  # |x| < 1.5 ln2 (high word): k = -1 for x < 0
_HX_56_LN2 = 0x40436879  # |x| >= 56 ln2 (high word above this): expm1(x) = -1 for x < 0


def _fma_typer(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """a * b + c rounded once (llvm.fma: always fused, never split into two roundings)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return sig, codegen


_fma: Any = intrinsic(_fma_typer)


def _bitcast(source: Any, target: Any) -> Any:
    """An intrinsic that reinterprets the bits of a ``source`` value as a ``target`` (no conversion)."""

    def typer(typingctx: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.bitcast(args[0], context.get_value_type(target))

        return target(source), codegen

    return intrinsic(typer)


_bits: Any = _bitcast(types.float64, types.int64)  # the IEEE-754 bit pattern of a float64
_from_bits: Any = _bitcast(types.int64, types.float64)  # the float64 with that bit pattern


@njit(inline="always", nogil=True, error_model="numpy")
def expm1_nonpositive(x: float) -> float:
    """glibc's ``expm1(x)`` for x <= 0 (or -0.0, -inf, NaN), without branches (see module docstring)."""
    hx = (_bits(x) >> 32) & 0x7FFFFFFF
    xs = x if hx <= _HX_56_LN2 else -1.0  # keep the unused lanes finite (no int overflow below)
    k = 0 if hx <= _HX_HALF_LN2 else (-1 if hx <= _HX_1_5_LN2 else int(xs * _INV_LN2 + -0.5))
    t = float(k)
    # Range reduction x = k ln2 + r (r = hi - lo, c its rounding error); k = 0 leaves x, c = 0.
    hi = _fma(-t, _LN2_HI, xs)
    lo = t * _LN2_LO
    r = hi - lo
    c = (hi - r) - lo
    # Rational approximation on [-ln2/2, ln2/2] (fdlibm), evaluated as glibc's FMA build does.
    hfx = 0.5 * r
    hxs = r * hfx
    h2 = hxs * hxs
    h4 = h2 * h2
    r1 = _fma(h4, _fma(hxs, _Q5, _Q4), _fma(h2, _fma(hxs, _Q3, _Q2), _fma(hxs, _Q1, 1.0)))
    t3 = _fma(-r1, hfx, 3.0)
    e = hxs * ((r1 - t3) / _fma(-r, t3, 6.0))
    out_k0 = r - _fma(e, r, -hxs)
    e = _fma(e - c, r, -c) - hxs
    out_km1 = _fma(r - e, 0.5, -0.5)
    y = 1.0 - (e - r)
    out_k = _from_bits(_bits(y) + (k << 52)) - 1.0  # y * 2^k by adding k to the exponent
    out = out_k0 if k == 0 else (out_km1 if k == -1 else out_k)
    out = x if hx <= _HX_TINY else out
    out = -1.0 if hx > _HX_56_LN2 else out
    return x if x != x else out


@njit("void(float64[::1], float64[::1])", nogil=True, boundscheck=False, error_model="numpy")
def expm1_nonpositive_array(x: NDArray[np.float64], out: NDArray[np.float64]) -> None:
    """out[i] = expm1_nonpositive(x[i]) (vectorised loop; for tests and the import check)."""
    for i in range(x.size):
        out[i] = expm1_nonpositive(x[i])


@njit("void(float64[::1], float64[::1])", nogil=True, boundscheck=False, error_model="numpy")
def _libm_expm1_array(x: NDArray[np.float64], out: NDArray[np.float64]) -> None:
    for i in range(x.size):
        out[i] = math.expm1(x[i])


def check_points() -> NDArray[np.float64]:
    """x <= 0 covering every branch densely: a log grid over 2^-60..2^9.7, uniform grids on the
    reduction ranges, and 64 ulps either side of each branch threshold and each step of k."""
    rng = np.random.default_rng(20261127)
    edges = [(k + 0.5) * math.log(2.0) for k in range(60)]  # where trunc(x/ln2 - 0.5) steps
    for hx in (_HX_TINY, _HX_HALF_LN2, _HX_1_5_LN2, _HX_56_LN2):
        for word in (hx, hx + 1):  # smallest and largest |x| with this high word
            edges += [
                float(np.uint64(word << 32).view(np.float64)),
                float(np.uint64(word << 32 | 0xFFFFFFFF).view(np.float64)),
            ]
    edge = np.array(edges)[:, None]
    parts = [
        np.logspace(-60, 9.7, 40_000, base=2.0),
        rng.uniform(0.0, 0.35, 20_000),  # k = 0
        rng.uniform(0.34, 1.04, 20_000),  # k = -1
        rng.uniform(1.0, 40.0, 40_000),  # k <= -2
        rng.uniform(0.0, 1.0, 10_000) * 2.0 ** rng.integers(-60, 10, 10_000),
        edge + np.arange(-64, 65) * np.spacing(edge),
        np.array([0.0, np.inf, 5e-324, 2.2250738585072014e-308]),
    ]
    magnitude = np.concatenate([p.ravel() for p in parts])
    return np.concatenate([[0.0], -magnitude])  # +0.0 and -0.0 both occur (dt = 0)


def _libm_match() -> bool:
    """True if the port equals this process's libm expm1 bit for bit on ``check_points()``."""
    x = check_points()
    ours = np.empty_like(x)
    theirs = np.empty_like(x)
    expm1_nonpositive_array(x, ours)
    _libm_expm1_array(x, theirs)
    return bool(np.array_equal(ours.view(np.int64), theirs.view(np.int64)))


LIBM_MATCH: bool = _libm_match()
