"""The scalar helpers that generated kernels call, written once for every target.

``make(dtype)`` returns plain Python functions (``nan_maximum``, ``nan_minimum``,
``sigmoid``, ``softplus``, ``logaddexp``, ``finite_or_zero``) closed over constants of
``dtype``, so a float32 kernel never promotes to float64 by accident (a Python literal
such as ``1.0`` would). ``numba_helpers`` compiles them with ``numba.njit`` for the CPU,
``cuda_helpers`` as CUDA device functions. Their semantics follow the reference backend
(``ir.OPS[op].reference``): NaN-propagating ``maximum``/``minimum``, numerically stable
``sigmoid``/``softplus``/``logaddexp`` (NumPy's ``npy_logaddexp``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..ir import refs

# digamma's Taylor series at its positive root (``ir.refs``), highest power first
_DIGAMMA_HORNER = tuple(reversed(refs.DIGAMMA_COEFFS))
_X0_HI, _X0_LO = refs._X0_HI, refs._X0_LO
_INF, _NAN, _PI = float("inf"), float("nan"), math.pi  # (the CUDA simulator's math has no inf)


def make(dtype: type) -> dict[str, Callable]:
    """The helpers for one dtype, undecorated."""
    zero, one, ln2 = dtype(0.0), dtype(1.0), dtype(math.log(2.0))

    def nan_maximum(a, b):
        return a if (a > b or a != a) else b  # NumPy: equal values give b (-0.0, 0.0)

    def nan_minimum(a, b):
        return a if (a < b or a != a) else b  # NumPy: equal values give b

    def sigmoid(x):
        e = math.exp(-abs(x))
        num = one if x >= zero else e
        return num / (one + e)

    def softplus(x):
        # logaddexp(0, x) = max(x, 0) + log(1 + exp(-|x|)); NaN stays NaN
        m = x if x > zero else zero
        return m + math.log1p(math.exp(-abs(x)))

    def logaddexp(a, b):
        if a == b:
            return a + ln2
        d = a - b
        if d > zero:
            return a + math.log1p(math.exp(-d))
        if d <= zero:
            return b + math.log1p(math.exp(d))
        return d  # NaN

    def finite_or_zero(m):
        return m if (m - m) == zero else zero

    def gammaln(x):
        # log|Gamma(x)|: libm's lgamma, in float64; inf at the poles and at -inf
        x = float(x)
        if x == -_INF or (x <= 0.0 and x == math.floor(x)):
            return dtype(_INF)
        return dtype(math.lgamma(x))

    def digamma(x):
        # the algorithm of ir.refs.digamma_scalar (the reference), in float64
        x = float(x)
        if x != x or x == _INF:
            return dtype(x)
        if x == -_INF:
            return dtype(_NAN)
        result = 0.0
        if x <= 0.0:
            if x == math.floor(x):
                if x == 0.0:
                    return dtype(-math.copysign(_INF, x))
                return dtype(_NAN)
            if x < -20.0:  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
                r = x - math.floor(x)
                result = -_PI / math.tan(_PI * r)
                x = 1.0 - x
        while x < 1.0:  # psi(x) = psi(x + 1) - 1 / x
            result -= 1.0 / x
            x += 1.0
        if x > 12.0:
            inv = 1.0 / x
            inv2 = inv * inv
            tail = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (
                1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12.0))))))
            return dtype(result + (math.log(x) - 0.5 * inv - tail))
        while x > 2.0:
            x -= 1.0
            result += 1.0 / x
        d = (x - _X0_HI) - _X0_LO
        acc = 0.0
        for c in _DIGAMMA_HORNER:
            acc = acc * d + c
        return dtype(result + acc * d)

    return {"nan_maximum": nan_maximum, "nan_minimum": nan_minimum, "sigmoid": sigmoid,
            "softplus": softplus, "logaddexp": logaddexp, "finite_or_zero": finite_or_zero,
            "gammaln": gammaln, "digamma": digamma}


__all__ = ["make"]
