"""Vectorizable transcendentals that ``fastmath`` lacks, for generated Numba loops.

float64 ``log2`` and ``log10``: musl's (fdlibm's reduction and kernel shared with
``fastmath.log_f64``, then the result split in a high and a low part so that the scaling by
1/ln 2 or 1/ln 10 adds no rounding of its own): under 1 ulp, exact at powers of two; NumPy's
own SIMD versions ran 3-6x faster than the libm calls they replace.

The others are float32 functions computed in float64.

A float32 libm call in a generated loop (``math.sin``, ``np.log2``...) is an opaque scalar
call (``sinf``, ``log2f``): the loop does not vectorize, and NumPy's own SIMD float32
functions ran 4-12x faster. Here the float32 argument is widened to float64, computed there
with branch-free arithmetic, and rounded once to float32: within about half an ulp (a
float64 result within 2**-40 relative rounds to the float32 nearest the exact value except
in rare double-rounding cases; tests/test_numba_fastextra.py).

``log2``, ``log10``, ``exp2``: the float64 kernels of ``fastmath`` (``log_f64``,
``exp_f64``) times a constant; exact powers of two stay exact after the rounding to
float32. They are inlinable scalar functions (``FUNCS``) like ``fastmath``'s.

``sin``, ``cos``, ``tan``: reduced by pi/2 with a three-part Cody-Waite split (``k * P1``
and ``k * P2`` are exact for ``|k| < 2**25``), then musl's float-accuracy polynomials
``__sindf`` / ``__cosdf`` (float64 arithmetic). The quadrant is kept as a float
(``k mod 4``), so infinities and NaN never reach an integer conversion; they give NaN as
libm does, and ``sin(-0.0)`` is ``-0.0``. Arguments with ``|x| >= 2**25`` need a longer
reduction (Payne-Hanek): the block function first runs the vector loop over a tile and
then, in a separate scalar loop, recomputes those few elements with libm in float64. The
branch stays out of the vector loop, which is why these exist only as block functions
(``BLOCK_ONLY``): kernels holding one run tiled over long rows (see
``numba_elementwise``); elsewhere (reductions, short rows) the op keeps its libm lowering.

``BLOCKS[op][dtype](src, dst, m)`` writes ``f(src[:m])`` to ``dst[:m]`` (contiguous
1-D arrays of the dtype; ``src`` is not ``dst``) for every op here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba

from .fastmath import (
    _INF,
    _MANT_MASK,
    _MIN_NORMAL,
    _NAN,
    _ONE_BITS,
    _SQRT_HALF_HI,
    _TWO54,
    _as_f64,
    _as_i64,
    _block_jit,
    _log_kernel,
    _rint,
    exp_f64,
    log_f64,
)

_inline = numba.njit(inline="always", cache=False)

# musl __sindf / __cosdf: |error| < 2**-34 relative on [-pi/4, pi/4] (float64 arithmetic)
_S1 = -0.166666666416265235595
_S2 = 0.0083333293858894631756
_S3 = -0.000198393348360966317347
_S4 = 0.0000027183114939898219064
_C0 = -0.499999997251031003120
_C1 = 0.0416666233237390631894
_C2 = -0.00138867637746099294692
_C3 = 0.0000243904487962774090654
_INVPIO2 = 0.63661977236758134308
# pi/2 = _P1 + _P2 + _P3 (+ 2**-110), _P1 and _P2 with 28 significant bits
_P1 = float.fromhex("0x1.921fb54000000p+0")
_P2 = float.fromhex("0x1.10b4610000000p-30")
_P3 = float.fromhex("0x1.a62633145c06ep-58")
_TINY = 2.0 ** -12
BIG = 33554432.0
"""2**25: from this |x| on, the short reduction is not exact and libm computes the value."""


@_inline
def _reduce(xd):
    """(r, q): xd = k * pi/2 + r with |r| <= ~pi/4, q = k mod 4 (an int64 read off the
    float's bits: no conversion, so infinities and NaN give garbage q and NaN r)."""
    k, ki = _rint(xd * _INVPIO2)
    r = ((xd - k * _P1) - k * _P2) - k * _P3
    return r, ki & 3


@_inline
def _sin_poly(x):
    z = x * x
    w = z * z
    s = z * x
    return (x + s * (_S1 + z * _S2)) + s * w * (_S3 + z * _S4)


@_inline
def _cos_poly(x):
    z = x * x
    w = z * z
    return ((1.0 + z * _C0) + w * _C1) + (w * z) * (_C2 + z * _C3)


@_inline
def sin_short_f32(x):
    """sin(x) for float32 ``|x| < 2**25`` (and inf/NaN -> NaN), vectorizable."""
    xd = numba.float64(x)
    r, q = _reduce(xd)
    s = _sin_poly(r)
    c = _cos_poly(r)
    v = c if q & 1 else s
    v = -v if q & 2 else v
    v = xd if abs(xd) < _TINY else v  # sin(x) rounds to x there (and keeps -0.0)
    return numba.float32(v)


@_inline
def cos_short_f32(x):
    """cos(x) for float32 ``|x| < 2**25`` (and inf/NaN -> NaN), vectorizable."""
    xd = numba.float64(x)
    r, q = _reduce(xd)
    s = _sin_poly(r)
    c = _cos_poly(r)
    v = s if q & 1 else c
    v = -v if (q + 1) & 2 else v
    return numba.float32(v)


@_inline
def tan_short_f32(x):
    """tan(x) for float32 ``|x| < 2**25`` (and inf/NaN -> NaN), vectorizable."""
    xd = numba.float64(x)
    r, q = _reduce(xd)
    s = _sin_poly(r)
    c = _cos_poly(r)
    v = -c / s if q & 1 else s / c
    v = xd if abs(xd) < _TINY else v  # tan(x) rounds to x there (and keeps -0.0)
    return numba.float32(v)


_INV_LN2 = 1.4426950408889634
_INV_LN10 = 0.4342944819032518
_LN2 = 0.6931471805599453


@_inline
def log2_f32(x):
    """log2(x), float32: log in float64 times 1/ln 2, rounded once."""
    return numba.float32(log_f64(numba.float64(x)) * _INV_LN2)


@_inline
def log10_f32(x):
    """log10(x), float32: log in float64 times 1/ln 10, rounded once."""
    return numba.float32(log_f64(numba.float64(x)) * _INV_LN10)


@_inline
def exp2_f32(x):
    """exp2(x), float32: exp(x ln 2) in float64 (the product's rounding is 2**-46
    relative at most over float32's range), rounded once."""
    return numba.float32(exp_f64(numba.float64(x) * _LN2))


# musl log2.c / log10.c constants
_IVLN2HI = 1.44269504072144627571e+00
_IVLN2LO = 1.67517131648865118353e-10
_IVLN10HI = 4.34294481878168880939e-01
_IVLN10LO = 2.50829467116452752298e-11
_LOG10_2HI = 3.01029995663611771306e-01
_LOG10_2LO = 3.69423907715893078616e-13
_HIGH_WORD = -4294967296  # 0xffffffff00000000 as int64: keeps the upper 32 bits


@_inline
def _log_parts(x):
    """(k, hi, lo) with log(x) = k ln 2 + hi + lo, hi holding 21 significant bits, for
    positive normal or subnormal x (musl's log2/log10 reduction, branch-free)."""
    sub = x < _MIN_NORMAL
    xs = x * _TWO54 if sub else x
    bits = _as_i64(xs) + (_ONE_BITS - _SQRT_HALF_HI)
    k = (bits >> 52) - (54 + 1023 if sub else 1023)
    f = _as_f64((bits & _MANT_MASK) + _SQRT_HALF_HI) - 1.0
    hfsq, s, r = _log_kernel(f)
    hi = _as_f64(_as_i64(f - hfsq) & _HIGH_WORD)
    lo = f - hi - hfsq + s * (hfsq + r)
    return float(k), hi, lo


@_inline
def _log_specials(x, res):
    res = -_INF if x == 0.0 else res
    res = _NAN if x < 0.0 else res
    return x if not (x < _INF) else res  # +inf and nan pass through


@_inline
def log2_f64(x):
    """log2(x), float64 (musl log2, branch-free): under 1 ulp, exact at powers of two."""
    y, hi, lo = _log_parts(x)
    val_hi = hi * _IVLN2HI
    val_lo = (lo + hi) * _IVLN2LO + lo * _IVLN2HI
    w = y + val_hi
    val_lo += (y - w) + val_hi
    return _log_specials(x, val_lo + w)


@_inline
def log10_f64(x):
    """log10(x), float64 (musl log10, branch-free): under 1 ulp."""
    y, hi, lo = _log_parts(x)
    val_hi = hi * _IVLN10HI
    y2 = y * _LOG10_2HI
    val_lo = y * _LOG10_2LO + (lo + hi) * _IVLN10LO + lo * _IVLN10HI
    w = y2 + val_hi
    val_lo += (y2 - w) + val_hi
    return _log_specials(x, val_lo + w)


@_block_jit
def sin_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = sin_short_f32(src[j])
    for j in range(m):  # the rare long reductions, out of the vector loop
        if abs(src[j]) >= BIG:
            dst[j] = numba.float32(math.sin(numba.float64(src[j])))


@_block_jit
def cos_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = cos_short_f32(src[j])
    for j in range(m):  # the rare long reductions, out of the vector loop
        if abs(src[j]) >= BIG:
            dst[j] = numba.float32(math.cos(numba.float64(src[j])))


@_block_jit
def tan_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = tan_short_f32(src[j])
    for j in range(m):  # the rare long reductions, out of the vector loop
        if abs(src[j]) >= BIG:
            dst[j] = numba.float32(math.tan(numba.float64(src[j])))


@_block_jit
def log2_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = log2_f32(src[j])


@_block_jit
def log10_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = log10_f32(src[j])


@_block_jit
def exp2_f32_block(src, dst, m):
    for j in range(m):
        dst[j] = exp2_f32(src[j])


@_block_jit
def log2_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = log2_f64(src[j])


@_block_jit
def log10_f64_block(src, dst, m):
    for j in range(m):
        dst[j] = log10_f64(src[j])


FUNCS: dict[str, dict[str, Callable]] = {
    "log2": {"float32": log2_f32, "float64": log2_f64},
    "log10": {"float32": log10_f32, "float64": log10_f64},
    "exp2": {"float32": exp2_f32},
}
"""op -> dtype -> ``njit(inline="always")`` scalar function (as ``fastmath.FUNCS``)."""

BLOCK_ONLY: frozenset[str] = frozenset({"sin", "cos", "tan"})
"""Ops with a block function and no inlinable scalar form (a libm fix-up loop)."""

BLOCKS: dict[str, dict[str, Callable]] = {
    op: {dt: globals()[f"{op}_f{dt[-2:]}_block"] for dt in FUNCS.get(op, {"float32": None})}
    for op in (*sorted(BLOCK_ONLY), *FUNCS)
}
"""op -> dtype -> ``block(src, dst, m)`` (as ``fastmath.BLOCKS``)."""


def disable_disk_cache() -> None:
    """Stop the block functions from writing Numba's disk cache (it failed); they compile
    in memory from now on."""
    from numba.core.caching import NullCache

    for per_dtype in BLOCKS.values():
        for fn in per_dtype.values():
            fn._cache = NullCache()


__all__ = ["BIG", "BLOCKS", "BLOCK_ONLY", "FUNCS", "cos_short_f32", "disable_disk_cache",
           "exp2_f32", "log10_f32", "log10_f64", "log2_f32", "log2_f64", "sin_short_f32",
           "tan_short_f32"]
