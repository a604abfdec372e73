"""Vectorizable float32 ``sin`` and ``cos`` for tiled Numba kernels (block functions).

A float32 ``math.sin`` in a generated loop is an opaque scalar libm call (``sinf``): the
loop does not vectorize, and NumPy's own SIMD float32 ``sin``/``cos`` ran 10x faster. Here
the float32 argument is widened to float64 and reduced by pi/2 with a three-part
Cody-Waite split (``k * P1`` and ``k * P2`` are exact for ``|k| < 2**25``), then musl's
float-accuracy polynomials ``__sindf`` / ``__cosdf`` (float64 arithmetic) give the value,
rounded once to float32: within about half an ulp (tests/test_numba_trig32.py). The
quadrant is kept as a float (``k mod 4``), so infinities and NaN never reach an integer
conversion; they give NaN as libm does, and ``sin(-0.0)`` is ``-0.0``.

Arguments with ``|x| >= 2**25`` need a longer reduction (Payne-Hanek): the block function
first runs the vector loop over a tile and then, in a separate scalar loop, recomputes
those few elements with libm in float64 (correctly rounded there, then rounded once to
float32). The branch stays out of the vector loop, which is why these functions exist
only as block functions (``BLOCKS``): kernels holding one run tiled (see
``numba_elementwise``); elsewhere (reductions) the op keeps its libm lowering.

``BLOCKS[op]["float32"](src, dst, m)`` writes ``f(src[:m])`` to ``dst[:m]`` (contiguous
1-D float32 arrays; ``src`` is not ``dst``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np

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
BIG = 33554432.0
"""2**25: from this |x| on, the short reduction is not exact and libm computes the value."""


@_inline
def _reduce(xd):
    """(r, q): xd = k * pi/2 + r with |r| <= ~pi/4, q = k mod 4 as a float."""
    k = np.rint(xd * _INVPIO2)
    r = ((xd - k * _P1) - k * _P2) - k * _P3
    r = xd if k == 0.0 else r  # keeps -0.0
    q = k - 4.0 * np.floor(k * 0.25)
    return r, q


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
    v = s if q == 0.0 else (c if q == 1.0 else (-s if q == 2.0 else -c))
    return numba.float32(v)


@_inline
def cos_short_f32(x):
    """cos(x) for float32 ``|x| < 2**25`` (and inf/NaN -> NaN), vectorizable."""
    xd = numba.float64(x)
    r, q = _reduce(xd)
    s = _sin_poly(r)
    c = _cos_poly(r)
    v = c if q == 0.0 else (-s if q == 1.0 else (-c if q == 2.0 else s))
    return numba.float32(v)


def _block_jit(fn: Callable) -> Callable:
    """``njit`` for a block function, cached on disk where Numba can write a cache."""
    try:
        return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)
    except RuntimeError:  # no writable cache location for this module
        return numba.njit(cache=False, error_model="numpy", nogil=True)(fn)


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


BLOCKS: dict[str, dict[str, Callable]] = {
    "sin": {"float32": sin_f32_block},
    "cos": {"float32": cos_f32_block},
}
"""op -> dtype -> ``block(src, dst, m)``: block-only transcendentals (no inlinable scalar
form), used by tiled elementwise kernels."""

__all__ = ["BIG", "BLOCKS", "cos_short_f32", "sin_short_f32"]
