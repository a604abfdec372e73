"""Vectorizable transcendental functions for generated Numba loops.

A call to libm (``math.exp`` inside an ``@njit`` loop) is an opaque scalar call, so LLVM
cannot vectorize the loop around it. The functions here use only ``+ - * /``, comparisons
that become selects, and integer bit manipulation on the IEEE-754 representation (through
the ``bitcast`` intrinsics below), so a loop that calls them compiles to SIMD code
(``<4 x double>`` / ``ymm`` / ``zmm``).

The float64 algorithms are branch-free transcriptions of fdlibm (Sun, 1993) as it lives on
in FreeBSD and musl: range reduction to a primary interval plus the fdlibm
polynomial/rational approximations, with every ``if`` turned into the computation of all
cases followed by a select (tanh for small |x| uses the Cephes rational; expm1 is one
Taylor polynomial on a widened k = 0 interval, with no division and no per-k cases). The float32
functions compute in float64 with cheaper kernels and round once at the end, which keeps
them within about half an ulp.

Interface used by the Numba backend (keep it stable):

``FUNCS[op][dtype]``
    op in ``exp log log1p expm1 tanh sigmoid softplus``, dtype in ``float64 float32``; a
    ``numba.njit(inline="always")`` scalar function, one float in, one float of the same
    dtype out, callable from ``@njit(parallel=True)`` code.
``MAX_ULP[op]``
    documented maximum error in ulps (over both dtypes; see ``MAX_ULP_BY_DTYPE``), measured
    by ``tests/test_fastmath.py`` on the ranges in ``TESTED_RANGE``.

``SAFE_FASTMATH_FLAGS``
    the LLVM fast-math flags a kernel calling these functions may be compiled with. The
    functions are inlined into the caller and take its flags: ``fastmath=True`` (which
    includes ``reassoc``, ``nnan``, ``ninf``) folds away the rounding trick, the error
    compensation and the special-value selects and gives wrong results, and ``arcp`` costs
    sigmoid its bound. Compile with ``fastmath=SAFE_FASTMATH_FLAGS`` when fast math is asked
    for; the bounds below are tested under both strict IEEE and these flags.

Special values are exact: ``nan -> nan``, ``±inf`` and ``±0.0`` follow C99 Annex F,
subnormal inputs are handled and subnormal outputs are produced, and overflow to ``inf`` /
underflow to ``0`` happen at the correctly rounded thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["BINARY_FUNCS", "BLOCKS", "FUNCS", "UNIT_FUNCS", "MAX_ULP", "MAX_ULP_BY_DTYPE", "OPS",
           "SAFE_FASTMATH_FLAGS", "TESTED_RANGE"]

_inline = numba.njit(inline="always", cache=False)


# --------------------------------------------------------------------------- bit casts
@intrinsic
def _as_i64(typingctx, x):  # noqa: ARG001 - numba intrinsic signature
    """Reinterpret a float64 as int64 (LLVM ``bitcast``, vectorizable)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _as_f64(typingctx, x):  # noqa: ARG001 - numba intrinsic signature
    """Reinterpret an int64 as float64 (LLVM ``bitcast``, vectorizable)."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _div(typingctx, a, b):  # noqa: ARG001 - numba intrinsic signature
    """a / b for float64 as a bare IEEE ``fdiv``.

    Numba's ``/`` checks for a zero divisor and raises ZeroDivisionError under the default
    ``error_model="python"``; that branch stops vectorization, and the functions here never
    need it (a zero divisor only occurs in lanes whose result is selected away).
    """
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _mad(typingctx, a, b, c):  # noqa: ARG001 - numba intrinsic signature
    """a * b + c for float64 as ``llvm.fmuladd``: one FMA where the CPU has it (it is then
    also faster), a multiply and an add otherwise. Used only in polynomial evaluation,
    where both roundings stay within the documented bounds (both variants are tested:
    the FMA one on FMA hardware, the unfused one by the same test under
    ``NUMBA_CPU_FEATURES=-fma``)."""
    if a != types.float64 or b != types.float64 or c != types.float64:
        return None

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fmuladd", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


# --------------------------------------------------------------------------- constants
_INF = float("inf")
_NAN = float("nan")
_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000: k*_LN2_HI is exact for |k|<2^11
_LN2_LO = 1.90821492927058770002e-10  # 0x3dea39ef35793c76
_INV_LN2 = 1.44269504088896338700e00
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52: (v + _SHIFTER) - _SHIFTER == rint(v), |v| < 2**51
_SHIFTER_BITS = 0x4338000000000000
_TWO54 = 18014398509481984.0
_MIN_NORMAL = 2.2250738585072014e-308
_EXP_HI = 709.782712893383973096  # exp(x) overflows above this
_EXP_LO = -745.13321910194110842  # exp(x) rounds to 0 below this

# fdlibm e_exp.c: exp(r) = 1 + r + r*c/(2-c), c = r - r^2*P(r^2), |r| <= 0.5*ln2
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08

# fdlibm e_log.c / s_log1p.c: log(1+f) = f - f^2/2 + s*(f^2/2 + R(z)), s = f/(2+f)
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF_HI = 0x3FE6A09E00000000  # high word of sqrt(2)/2 in a 64-bit pattern
_ONE_BITS = 0x3FF0000000000000
_MANT_MASK = 0x000FFFFFFFFFFFFF

# 1/n! for the float64 expm1 Taylor polynomial
_INV_FACT_64 = tuple(1.0 / math.factorial(n) for n in range(17))

# Cephes tanh.c: tanh(x) = x + x^3 P(x^2)/Q(x^2) for |x| < 0.625
_TP0 = -1.61468768441708447952e03
_TP1 = -9.92877231001918586564e01
_TP2 = -9.64399179425052238628e-01
_TQ0 = 4.84406305325125486048e03
_TQ1 = 2.23548839060100448583e03
_TQ2 = 1.12811678491632931402e02


@_inline
def _pow2(k):
    """2.0**k as a float64 for an int64 ``-1022 <= k <= 1023`` (exponent-field construction)."""
    return _as_f64((k + 1023) << 52)


@_inline
def _rint(v):
    """(rint(v) as float64, rint(v) as int64) for |v| < 2**51, without a libm call or fptosi."""
    t = v + _SHIFTER
    return t - _SHIFTER, _as_i64(t) - _SHIFTER_BITS


@_inline
def _scale(y, k):
    """y * 2**k for |k| <= 2044, rounded once (handles subnormal results and overflow)."""
    k1 = k >> 1
    return (y * _pow2(k1)) * _pow2(k - k1)


# --------------------------------------------------------------------------- float64
@_inline
def exp_f64(x):
    """exp(x), float64 (fdlibm e_exp.c reduction and rational, branch-free). Below -746
    the result is +0: computed from 0 and replaced, as scaling to 0 is an underflow (a
    microcode assist per element)."""
    zero = x < -746.0
    xc = 0.0 if zero else x
    xc = 710.0 if xc > 710.0 else xc
    xc = 0.0 if xc != xc else xc
    kf, k = _rint(xc * _INV_LN2)
    hi = xc - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * _mad(t, _mad(t, _mad(t, _mad(t, _P5, _P4), _P3), _P2), _P1)
    y = 1.0 - ((lo - _div(r * c, 2.0 - c)) - hi)
    res = _scale(y, k)
    res = 0.0 if zero else res
    return x if x != x else res


@_inline
def _log_kernel(f):
    """(f*f/2, s = f/(2+f), R(s)): fdlibm's log(1+f) = f - f*f/2 + s*(f*f/2 + R(s)) for f
    in [sqrt(2)/2-1, sqrt(2)-1]."""
    hfsq = 0.5 * f * f
    s = _div(f, 2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _mad(w, _mad(w, _LG6, _LG4), _LG2)
    t2 = z * _mad(w, _mad(w, _mad(w, _LG7, _LG5), _LG3), _LG1)
    return hfsq, s, t2 + t1


@_inline
def _log_reduced(f, dk, c):
    """log(1+f) + dk*ln2 + c for f in [sqrt(2)/2-1, sqrt(2)-1] (fdlibm kernel)."""
    hfsq, s, r = _log_kernel(f)
    return s * (hfsq + r) + (dk * _LN2_LO + c) - hfsq + f + dk * _LN2_HI


@_inline
def log_f64(x):
    """log(x), float64 (musl/fdlibm log, branch-free)."""
    sub = x < _MIN_NORMAL
    xs = x * _TWO54 if sub else x
    bits = _as_i64(xs) + (_ONE_BITS - _SQRT_HALF_HI)
    k = (bits >> 52) - (54 + 1023 if sub else 1023)
    m = _as_f64((bits & _MANT_MASK) + _SQRT_HALF_HI)
    res = _log_reduced(m - 1.0, float(k), 0.0)
    res = -_INF if x == 0.0 else res
    res = _NAN if x < 0.0 else res
    return x if not (x < _INF) else res  # +inf and nan pass through


@_inline
def log1p_f64(x):
    """log1p(x), float64 (musl/fdlibm log1p, branch-free): u = 1 + x rounded, the exact
    rounding error c = (1 + x) - u, then log(u) + c/u through the fdlibm log kernel. One
    path for every finite x > -1 (fdlibm's separate small-|x| path is not needed: there
    u - 1 is exact and c carries the digits of x that u lost), so few selects."""
    xg = x if (x < _INF and x > -1.0) else 0.0
    u = 1.0 + xg
    bits = _as_i64(u) + (_ONE_BITS - _SQRT_HALF_HI)
    k = (bits >> 52) - 1023
    c = (1.0 - (u - xg)) if k >= 2 else (xg - (u - 1.0))
    f = _as_f64((bits & _MANT_MASK) + _SQRT_HALF_HI) - 1.0
    res = _log_reduced(f, float(k), _div(c, u))
    res = x if x == 0.0 else res  # keeps the sign of -0.0
    res = -_INF if x == -1.0 else res
    res = _NAN if x < -1.0 else res
    return x if not (x < _INF) else res


@_inline
def _expm1_poly(r, c):
    """expm1(r + c) for -0.35 <= r <= 0.5 and a tiny correction c: Taylor to r**16/16!
    (truncation below 2**-58 relative), evaluated as r + (r*(r*q) + c*(1 + r)) so the
    result is rounded once."""
    # q = sum_{n=2..16} r**(n-2)/n!: the tail from 1/5! as even and odd halves in r**2
    # (shorter dependency chains than one Horner sequence: the lanes are latency-bound),
    # the three leading terms by Horner (they carry the rounding that matters)
    z = r * r
    ev = _mad(z, _INV_FACT_64[15], _INV_FACT_64[13])
    ev = _mad(z, ev, _INV_FACT_64[11])
    ev = _mad(z, ev, _INV_FACT_64[9])
    ev = _mad(z, ev, _INV_FACT_64[7])
    ev = _mad(z, ev, _INV_FACT_64[5])
    od = _mad(z, _INV_FACT_64[16], _INV_FACT_64[14])
    od = _mad(z, od, _INV_FACT_64[12])
    od = _mad(z, od, _INV_FACT_64[10])
    od = _mad(z, od, _INV_FACT_64[8])
    od = _mad(z, od, _INV_FACT_64[6])
    q = _mad(r, od, ev)
    q = _mad(r, q, _INV_FACT_64[4])
    q = _mad(r, q, _INV_FACT_64[3])
    q = _mad(r, q, _INV_FACT_64[2])
    return r + _mad(r, r * q, c * (1.0 + r))


@_inline
def expm1_f64(x):
    """expm1(x), float64, without a division or branches (vectorizes to one polynomial per
    lane): x = k*ln2 + r with k = 0 for -ln2/2 < x < 0.5 (so |r| <= 0.5), p = expm1(r) by
    ``_expm1_poly`` corrected for the rounding of r, then expm1(x) = (2**k - 1) + 2**k * p,
    one fused rounding (2**k - 1 is exact for the k where it matters)."""
    xc = -60.0 if x < -60.0 else x  # expm1(-60) rounds to -1
    xc = 710.0 if xc > 710.0 else xc
    xc = 0.0 if xc != xc else xc
    kf, k = _rint(xc * _INV_LN2)
    near = xc < 0.5 and k == 1  # k = 1 only from x = 0.5: 1 + 2p then has no cancellation
    kf = 0.0 if near else kf
    k = 0 if near else k
    hi = xc - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    cc = (hi - r) - lo  # r + cc = x - k*ln2 to about 2**-106
    p = _expm1_poly(r, cc)
    kk = 1023 if k > 1023 else k  # k = 1024 only near the overflow threshold
    two_k = _pow2(kk)
    exact = k <= 53  # 2**k - 1 is exact; above, take the 1 from p instead
    a = p if exact else p - _pow2(-(1022 if kk > 1022 else kk))
    b = two_k - 1.0 if exact else two_k
    y = _mad(two_k, a, b) * (2.0 if k > 1023 else 1.0)
    y = p if k == 0 else y
    tiny = x < 5.551115123125783e-17 and x > -5.551115123125783e-17
    return x if (tiny or x != x) else y


@_inline
def _recip_sum(num, big, small):
    """num / (big + small) for |big| >= |small|, with the rounding error of the sum
    compensated (Fast2Sum), so the result carries about one rounding, not two."""
    s = big + small
    err = (big - s) + small
    q = _div(num, s)
    return q - q * _div(err, s)


@_inline
def tanh_f64(x):
    """tanh(x), float64: Cephes rational for |x| < 0.625, else 1 - 2/(exp(2|x|) + 1)."""
    ax = -x if x < 0.0 else x
    ax = 0.0 if ax != ax else ax
    z = ax * ax
    p = _mad(z, _mad(z, _TP2, _TP1), _TP0)
    q = _mad(z, _mad(z, z + _TQ2, _TQ1), _TQ0)
    small = ax + ax * z * _div(p, q)
    e = exp_f64(2.0 * (22.0 if ax > 22.0 else ax))
    big = 1.0 - _recip_sum(2.0, e, 1.0)
    res = small if ax < 0.625 else big
    res = -res if x < 0.0 else res
    return x if (ax < 5.551115123125783e-17 or x != x) else res


@_inline
def sigmoid_f64(x):
    """1 / (1 + exp(-x)), float64: e = exp(-|x|), then 1/(1+e) or e/(1+e) (compensated)."""
    ax = -x if x < 0.0 else x
    e = exp_f64(-ax)
    res = _recip_sum(e if x < 0.0 else 1.0, 1.0, e)
    return x if x != x else res


@_inline
def _log1p_unit(e):
    """log1p(e) for e in [0, 1] (nan passes through): fdlibm's log1p on that interval
    without the selects for special values, negative and large arguments. Below 2**-54
    log1p(e) rounds to e: such e (``exp(-|x|)`` of a large |x| is one) skip the kernel,
    whose squares would underflow (each a microcode assist: 10x slower per element)."""
    tiny = e < 5.551115123125783e-17  # 2**-54
    e0 = e
    e = 0.25 if tiny else e
    u = 1.0 + e
    bits = _as_i64(u) + (_ONE_BITS - _SQRT_HALF_HI)
    k = (bits >> 52) - 1023
    c = _div(e - (u - 1.0), u)
    f = _as_f64((bits & _MANT_MASK) + _SQRT_HALF_HI) - 1.0
    small = e < 0.41421356237309503
    f = e if small else f
    c = 0.0 if small else c
    dk = 0.0 if small else float(k)
    res = _log_reduced(f, dk, c)
    return e0 if tiny else res


@_inline
def softplus_f64(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), float64."""
    ax = -x if x < 0.0 else x
    lp = _log1p_unit(exp_f64(-ax))
    res = x + lp if x > 0.0 else lp
    return x if x != x else res


# --------------------------------------------------------------------------- float32
# float32 functions widen to float64, compute there and round once. A float64 result within
# 2**-40 relative is then correctly rounded to float32 except in double-rounding cases
# (error at most 0.5 + 2**-16 ulp), so these use cheaper float64 kernels than the float64
# functions: no division in exp, a Taylor expm1 for small arguments, and no subnormal or
# two-factor scaling (float32 subnormals and 2**k for |k| <= 150 are normal in float64).
_LN2 = 0.6931471805599453
_INV_FACT = tuple(1.0 / math.factorial(n) for n in range(13))


@_inline
def _exp_core32(x):
    """exp(x) in float64 to ~2**-50 relative, for float64 x in [-104, 89]."""
    kf, k = _rint(x * _INV_LN2)
    r = x - kf * _LN2
    p = _mad(r, _INV_FACT[11], _INV_FACT[10])
    p = _mad(r, p, _INV_FACT[9])
    p = _mad(r, p, _INV_FACT[8])
    p = _mad(r, p, _INV_FACT[7])
    p = _mad(r, p, _INV_FACT[6])
    p = _mad(r, p, _INV_FACT[5])
    p = _mad(r, p, _INV_FACT[4])
    p = _mad(r, p, _INV_FACT[3])
    p = _mad(r, p, _INV_FACT[2])
    p = _mad(r, p, 1.0)
    p = _mad(r, p, 1.0)
    return p * _pow2(k)


@_inline
def _expm1_core32(x):
    """expm1(x) in float64 to ~2**-44 relative, for float64 x in [-104, 89]."""
    p = _mad(x, _INV_FACT[12], _INV_FACT[11])
    p = _mad(x, p, _INV_FACT[10])
    p = _mad(x, p, _INV_FACT[9])
    p = _mad(x, p, _INV_FACT[8])
    p = _mad(x, p, _INV_FACT[7])
    p = _mad(x, p, _INV_FACT[6])
    p = _mad(x, p, _INV_FACT[5])
    p = _mad(x, p, _INV_FACT[4])
    p = _mad(x, p, _INV_FACT[3])
    p = _mad(x, p, _INV_FACT[2])
    small = x * _mad(x, p, 1.0)
    big = _exp_core32(x) - 1.0
    return small if (x < 0.35 and x > -0.35) else big


@_inline
def _clamp32(xd):
    """float64 xd clamped to [-104, 89] (exp's float32 range), nan mapped to 0."""
    xc = -104.0 if xd < -104.0 else xd
    xc = 89.0 if xc > 89.0 else xc
    return 0.0 if xc != xc else xc


@_inline
def exp_f32(x):
    """exp(x), float32 (float64 Taylor kernel, rounded once)."""
    xd = numba.float64(x)
    res = _exp_core32(_clamp32(xd))
    return numba.float32(xd if xd != xd else res)


@_inline
def log_f32(x):
    """log(x), float32 (log_f64, rounded once)."""
    return numba.float32(log_f64(numba.float64(x)))


@_inline
def log1p_f32(x):
    """log1p(x), float32: 1 + x is exact in float64 for |x| >= 2**-29, so log_f64(1 + x);
    x - x*x/2 below that."""
    xd = numba.float64(x)
    res = log_f64(1.0 + xd)
    tiny = xd < 1.862645149230957e-09 and xd > -1.862645149230957e-09  # 2**-29
    res = xd - 0.5 * xd * xd if tiny else res
    return numba.float32(res)


@_inline
def expm1_f32(x):
    """expm1(x), float32 (float64 Taylor / exp kernel, rounded once)."""
    xd = numba.float64(x)
    res = _expm1_core32(_clamp32(xd))
    return numba.float32(xd if xd != xd else res)


@_inline
def tanh_f32(x):
    """tanh(x), float32: -t/(t+2) with t = expm1(-2|x|) in float64, rounded once."""
    xd = numba.float64(x)
    ax = -xd if xd < 0.0 else xd
    t = _expm1_core32(-2.0 * (20.0 if ax > 20.0 else ax))
    z = _div(-t, t + 2.0)
    z = -z if xd < 0.0 else z
    return numba.float32(z if ax > 0.0 else xd)  # +-0 and nan pass through


@_inline
def sigmoid_f32(x):
    """sigmoid(x), float32: e = exp(-|x|) in float64, 1/(1+e) or e/(1+e), rounded once."""
    xd = numba.float64(x)
    ax = -xd if xd < 0.0 else xd
    e = _exp_core32(-(104.0 if ax > 104.0 else ax))
    res = _div(e if xd < 0.0 else 1.0, 1.0 + e)
    return numba.float32(xd if xd != xd else res)


@_inline
def softplus_f32(x):
    """softplus(x), float32: max(x, 0) + log1p(exp(-|x|)) in float64, rounded once."""
    xd = numba.float64(x)
    ax = -xd if xd < 0.0 else xd
    lp = log1p_f64(_exp_core32(-(104.0 if ax > 104.0 else ax)))
    res = xd + lp if xd > 0.0 else lp
    return numba.float32(xd if xd != xd else res)


# --------------------------------------------------------------------------- binary
@_inline
def _logaddexp(a, b, d):
    """logaddexp(a, b) given their difference ``d`` (rounded as the caller's dtype)."""
    ad = -d if d < 0.0 else d
    m = a if d > 0.0 else b
    res = m + _log1p_unit(exp_f64(-(0.0 if ad != ad else ad)))
    res = d if d != d else res
    return a + _LN2 if a == b else res


@_inline
def logaddexp_f64(a, b):
    """log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)), float64; ``a == b``
    (infinities included) gives ``a + ln 2`` and a NaN difference gives NaN, as NumPy."""
    return _logaddexp(a, b, a - b)


@_inline
def logaddexp_f32(a, b):
    """logaddexp(a, b), float32: the difference rounded to float32 (as NumPy's), the rest
    in float64, rounded once."""
    ad, bd = numba.float64(a), numba.float64(b)
    return numba.float32(_logaddexp(ad, bd, numba.float64(numba.float32(ad - bd))))


# --------------------------------------------------------------------------- tables
SAFE_FASTMATH_FLAGS: frozenset[str] = frozenset({"contract", "nsz", "afn"})
"""Fast-math flags under which every function keeps its documented bound and specials."""

FUNCS: dict[str, dict[str, Callable]] = {
    "exp": {"float64": exp_f64, "float32": exp_f32},
    "log": {"float64": log_f64, "float32": log_f32},
    "log1p": {"float64": log1p_f64, "float32": log1p_f32},
    "expm1": {"float64": expm1_f64, "float32": expm1_f32},
    "tanh": {"float64": tanh_f64, "float32": tanh_f32},
    "sigmoid": {"float64": sigmoid_f64, "float32": sigmoid_f32},
    "softplus": {"float64": softplus_f64, "float32": softplus_f32},
}
"""op name -> dtype name -> ``njit(inline="always")`` scalar function."""

BINARY_FUNCS: dict[str, dict[str, Callable]] = {
    "logaddexp": {"float64": logaddexp_f64, "float32": logaddexp_f32},
}
"""Two-argument functions (no block functions): op -> dtype -> scalar function."""

UNIT_FUNCS: dict[str, dict[str, Callable]] = {
    "log1p": {"float64": _log1p_unit, "float32": log1p_f32},
}
"""Faster forms for an operand known to lie in [0, 1] (or be NaN), e.g. ``log1p(exp(-|x|))``
of the shared stable forms: op -> dtype -> scalar function, same bounds as ``FUNCS``."""



def _block_jit(fn: Callable) -> Callable:
    """``njit`` for a block function, cached on disk where Numba can write a cache."""
    try:
        return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)
    except RuntimeError:  # no writable cache location for this module
        return numba.njit(cache=False, error_model="numpy", nogil=True)(fn)


# Block functions: dst[:m] = f(src[:m]) over contiguous rows (src may be dst). Compiled
# once per process (or loaded from Numba's disk cache), the loop vectorizes with the
# function inlined; generated kernels call them on tiles instead of inlining ``f`` once
# per use, which made compile time and memory explode with the number of uses.
@_block_jit
def exp_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = exp_f64(src[j])


@_block_jit
def log_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = log_f64(src[j])


@_block_jit
def log1p_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = log1p_f64(src[j])


@_block_jit
def expm1_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = expm1_f64(src[j])


@_block_jit
def tanh_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = tanh_f64(src[j])


@_block_jit
def sigmoid_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = sigmoid_f64(src[j])


@_block_jit
def softplus_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = softplus_f64(src[j])


@_block_jit
def exp_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = exp_f32(src[j])


@_block_jit
def log_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = log_f32(src[j])


@_block_jit
def log1p_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = log1p_f32(src[j])


@_block_jit
def expm1_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = expm1_f32(src[j])


@_block_jit
def tanh_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = tanh_f32(src[j])


@_block_jit
def sigmoid_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = sigmoid_f32(src[j])


@_block_jit
def softplus_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = softplus_f32(src[j])


def disable_disk_cache() -> None:
    """Stop the block functions from writing Numba's disk cache (it failed: full disk,
    read-only...); they compile in memory from now on."""
    from numba.core.caching import NullCache

    for per_dtype in BLOCKS.values():
        for fn in per_dtype.values():
            fn._cache = NullCache()


BLOCKS: dict[str, dict[str, Callable]] = {
    op: {"float64": globals()[f"{op}_f64_block"], "float32": globals()[f"{op}_f32_block"]}
    for op in FUNCS
}
"""op name -> dtype name -> ``block(src, dst, m)``: ``dst[:m] = f(src[:m])`` on
contiguous 1-D arrays, compiled once (not inlined into the caller)."""

OPS: tuple[str, ...] = tuple(FUNCS)

MAX_ULP_BY_DTYPE: dict[str, dict[str, float]] = {
    "exp": {"float64": 1.0, "float32": 0.51},
    "log": {"float64": 1.0, "float32": 0.51},
    "log1p": {"float64": 1.0, "float32": 0.51},
    "expm1": {"float64": 1.0, "float32": 0.51},
    "tanh": {"float64": 1.5, "float32": 0.51},
    "sigmoid": {"float64": 2.0, "float32": 0.51},
    "softplus": {"float64": 2.0, "float32": 0.51},
}
"""Documented maximum error in ulps of the result, per op and dtype (see TESTED_RANGE)."""

MAX_ULP: dict[str, float] = {op: max(d.values()) for op, d in MAX_ULP_BY_DTYPE.items()}
"""Documented maximum error in ulps per op, the larger of the two dtypes."""

TESTED_RANGE: dict[str, str] = {
    "exp": "whole float line; finite results for x in [-745.13, 709.78], subnormal below -708.4",
    "log": "all positive floats incl. subnormals; log-uniform over every binade",
    "log1p": "(-1, max float]; log-uniform in |x| and uniform in (-1, 1)",
    "expm1": "whole float line; [-40, 709.78] uniform plus log-uniform |x| from 1e-300",
    "tanh": "whole float line; uniform [-25, 25] plus log-uniform |x| from 1e-300",
    "sigmoid": "whole float line; uniform [-750, 40] plus log-uniform |x|",
    "softplus": "whole float line; uniform [-750, 750] plus log-uniform |x|",
}
"""The sampled input ranges behind MAX_ULP (see tests/test_fastmath.py)."""
