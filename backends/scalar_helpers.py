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

    out = {"nan_maximum": nan_maximum, "nan_minimum": nan_minimum, "sigmoid": sigmoid,
           "softplus": softplus, "logaddexp": logaddexp, "finite_or_zero": finite_or_zero,
           "gammaln": gammaln, "digamma": digamma}
    out.update(_rounding(dtype))
    out.update(_clients(dtype))
    return out


# -- rounding, remainders and the normal cdf (scans) ----------------------------------------
_BIG = 4503599627370496.0  # 2**52: every float of at least this magnitude is an integer
_SQRT1_2_HI, _SQRT1_2_LO = refs._SQRT1_2_HI, refs._SQRT1_2_LO
_TWO_OVER_SQRT_PI, _HALF_LOG_2PI = refs._TWO_OVER_SQRT_PI, refs._HALF_LOG_2PI
_S_HI, _S_LO = refs._split(_SQRT1_2_HI)  # Dekker halves of sqrt(1/2)


def _rounding(dtype: type) -> dict[str, Callable]:
    """``floor``/``ceil``/``trunc``/``rint`` without ``math.floor`` (an int in Numba,
    undefined at NaN), NumPy's ``remainder``/``floor_divide`` (``npy_divmod``), and
    ``ndtr``/``log_ndtr`` (the algorithms of ``ir.refs``, in float64)."""
    zero, one, half, two = dtype(0.0), dtype(1.0), dtype(0.5), dtype(2.0)
    big = dtype(_BIG)

    def trunc(x):
        if not abs(x) < big:  # NaN, +-inf, already an integer
            return x
        t = dtype(int(x))
        return t if t != zero else dtype(math.copysign(zero, x))

    def floor(x):
        if not abs(x) < big:
            return x
        t = dtype(int(x))
        if t > x:
            t -= one
        return t if t != zero else dtype(math.copysign(zero, x))

    def ceil(x):
        if not abs(x) < big:
            return x
        t = dtype(int(x))
        if t < x:
            t += one
        return t if t != zero else dtype(math.copysign(zero, x))

    def rint(x):
        if not abs(x) < big:
            return x
        f = dtype(int(x))
        if f > x:
            f -= one
        d = x - f  # exact
        if d > half or (d == half and f - two * dtype(int(f * half)) != zero):
            f += one
        return f if f != zero else dtype(math.copysign(zero, x))

    def remainder(a, b):
        mod = dtype(math.fmod(a, b))
        if b == zero:
            return mod  # NaN
        if mod != zero:
            if (b < zero) != (mod < zero):
                mod += b
        else:
            mod = dtype(math.copysign(zero, b))
        return mod

    def floor_divide(a, b):
        if b == zero:
            return a / b
        mod = dtype(math.fmod(a, b))
        div = (a - mod) / b
        if mod != zero and (b < zero) != (mod < zero):
            div -= one
        if div != zero:
            fl = div
            if abs(div) < big:
                fl = dtype(int(div))
                if fl > div:
                    fl -= one
            if div - fl > half:
                fl += one
            return fl
        return dtype(math.copysign(zero, a / b))

    def ndtr(x):
        v = float(x)
        if v != v:
            return x
        if v >= -1.0:
            return dtype(0.5 * math.erfc(-v * _SQRT1_2_HI))
        if v < -40.0:
            return zero
        a = -v  # the argument -v / sqrt(2) as two doubles (refs.ndtr_scalar)
        z = a * _SQRT1_2_HI
        c = 134217729.0 * a
        ah = c - (c - a)
        al = a - ah
        err = ((ah * _S_HI - z) + ah * _S_LO + al * _S_HI) + al * _S_LO
        d = err + a * _SQRT1_2_LO
        return dtype(0.5 * (math.erfc(z) - d * _TWO_OVER_SQRT_PI * math.exp(-z * z)))

    def log_ndtr(x):
        v = float(x)
        if v != v or v == -_INF:
            return x
        if v < -20.0:  # the asymptotic series of refs.log_ndtr_scalar
            t = 1.0 / (v * v)
            term, r = 1.0, 0.0
            for k in range(1, 13):
                term *= -(2.0 * k - 1.0) * t
                r += term
            return dtype(-(0.5 * v) * v - math.log(-v) - _HALF_LOG_2PI + math.log1p(r))
        u = -v if v > 0.0 else v  # Phi(u), u <= 0, as in ndtr
        if u >= -1.0:
            p = 0.5 * math.erfc(-u * _SQRT1_2_HI)
        elif u < -40.0:
            p = 0.0
        else:
            a = -u
            z = a * _SQRT1_2_HI
            c = 134217729.0 * a
            ah = c - (c - a)
            al = a - ah
            err = ((ah * _S_HI - z) + ah * _S_LO + al * _S_HI) + al * _S_LO
            d = err + a * _SQRT1_2_LO
            p = 0.5 * (math.erfc(z) - d * _TWO_OVER_SQRT_PI * math.exp(-z * z))
        return dtype(math.log1p(-p) if v > 0.0 else math.log(p))

    return {"trunc": trunc, "floor": floor, "ceil": ceil, "rint": rint,
            "remainder": remainder, "floor_divide": floor_divide, "ndtr": ndtr,
            "log_ndtr": log_ndtr}


# -- PyMC's special functions (clients) -------------------------------------------------------
def _clients(dtype: type) -> dict[str, Callable]:
    """``erfcx`` (the algorithm of ``ir.refs.erfcx_scalar``, in float64)."""

    def erfcx(x):
        v = float(x)
        if v != v:
            return x
        if v < 25.0:
            c = 134217729.0 * v
            vh = c - (c - v)
            vl = v - vh
            hi = v * v
            lo = ((vh * vh - hi) + 2.0 * vh * vl) + vl * vl
            if hi >= 709.7:
                return dtype(_INF) if v < 0.0 else dtype(0.0)
            return dtype(math.exp(hi) * (1.0 + lo) * math.erfc(v))
        if v == _INF:
            return dtype(0.0)
        t = 0.5 / (v * v)
        term, s = 1.0, 1.0
        for k in range(1, 12):
            term *= -(2.0 * k - 1.0) * t
            s += term
        return dtype((s / 1.7724538509055160273) / v)

    return {"erfcx": erfcx}


__all__ = ["make"]
