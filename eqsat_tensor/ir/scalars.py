"""Scalar algorithms written once: the reference applies them per element, the backends
compile them.

``make(dtype)`` returns plain Python functions of one or two floats (``nan_maximum``,
``nan_minimum``, ``sigmoid``, ``softplus``, ``logaddexp``, ``log1mexp``, ``gammaln``,
``digamma``, the rounding ops, ``ndtr``, ``log_ndtr``, ``erfcx``...) closed over constants of
``dtype``, so a float32 kernel never promotes to float64 by accident (a Python literal such
as ``1.0`` would). They use only ``math`` and arithmetic: ``backends/numba_helpers``
compiles them with ``numba.njit`` for the CPU, ``backends/cuda_helpers`` as CUDA device
functions, and ``refs`` applies ``make(float)`` per element as the NumPy reference of the ops
NumPy lacks (``digamma``, ``ndtr``, ``log_ndtr``, ``erfcx``): one definition of each
algorithm. The others follow the reference backend (``ir.OPS[op].reference``):
NaN-propagating ``maximum``/``minimum``, numerically stable ``sigmoid``/``softplus``/
``logaddexp`` (NumPy's ``npy_logaddexp``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

# digamma's positive root x0 as two doubles and its Taylor coefficients there
# (``refs._digamma_series()`` evaluated once and written out: mpmath at import costs
# 0.1-0.2 s per process; tests/test_startup.py recomputes them and compares)
_X0_HI, _X0_LO = 1.4616321449683622, 9.549995429965697e-17
DIGAMMA_COEFFS: tuple[float, ...] = (
    0.9676722454476212, -0.4427631689835921, 0.258499760955651,
    -0.16394270544240652, 0.10782405069126237, -0.07219956125645471,
    0.04880428816414311, -0.03316112647484736, 0.022597648232218104,
    -0.01542476590494896, 0.010538791616612175, -0.007204534386356869,
    0.004926781395729853, -0.003369801655439328, 0.002305126326734928,
    -0.0015769367714301972, 0.0010788252019162967, -0.0007380709389960052,
    0.000504953265834602, -0.0003454680251063077, 0.00023635601564027053,
    -0.00016170622091974803, 0.0001106337276874741, -7.569179582195066e-05,
    5.178575795222081e-05, -3.5430070947659604e-05, 2.424006611860132e-05,
    -1.6584242271854135e-05, 1.134638458466385e-05, -7.762817668462094e-06,
    5.3110609208898636e-06, -3.6336507898010456e-06, 2.486022733129538e-06,
    -1.7008538854332607e-06, 1.1636675363548843e-06, -7.96142543124197e-07,
    5.446941930669446e-07, -3.7266161283438227e-07, 2.549626552021554e-07,
    -1.7443695117727745e-07, 1.1934394829830244e-07, -8.165115189488409e-08,
    5.586299683532171e-08, -3.821960061917494e-08, 2.6148576951961865e-08,
    -1.788998486491149e-08, 1.2239731403233662e-08,
)
# highest power first
_DIGAMMA_HORNER = tuple(reversed(DIGAMMA_COEFFS))
_INF, _NAN, _PI = float("inf"), float("nan"), math.pi  # (the CUDA simulator's math has no inf)
_LN2 = math.log(2.0)


def _split(a: float) -> tuple[float, float]:
    """Dekker's split: ``a = hi + lo`` with 26-bit halves (exact products of halves)."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def make(dtype: type) -> dict[str, Callable]:
    """The helpers for one dtype, undecorated."""
    zero, one, ln2 = dtype(0.0), dtype(1.0), dtype(_LN2)

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

    def log1mexp(x):
        # log(1 - exp(x)), x <= 0: log1p(-exp(x)) below -log 2, log(-expm1(x)) above
        return math.log1p(-math.exp(x)) if x < -_LN2 else math.log(-math.expm1(x))

    def finite_or_zero(m):
        return m if (m - m) == zero else zero

    def gammaln(x):
        # log|Gamma(x)|: libm's lgamma, in float64; inf at the poles and at -inf
        x = float(x)
        # (|x| >= 2**52 is an integer: math.floor is an int64 in Numba, wrong beyond 2**63)
        if x == -_INF or (x <= 0.0 and (not abs(x) < _BIG or x == math.floor(x))):
            return dtype(_INF)
        return dtype(math.lgamma(x))

    def digamma(x):
        # poles (0, negative integers) as SciPy (-inf at +0, inf at -0, NaN at negative
        # integers and -inf); reflection for x < -20, recurrences to [1, 2] and the Taylor
        # series at the positive root there, the asymptotic series above 12; in float64
        x = float(x)
        if x != x or x == _INF:
            return dtype(x)
        if x == -_INF:
            return dtype(_NAN)
        result = 0.0
        if x <= 0.0:
            if not abs(x) < _BIG or x == math.floor(x):
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
           "softplus": softplus, "logaddexp": logaddexp, "log1mexp": log1mexp,
           "finite_or_zero": finite_or_zero,
           "gammaln": gammaln, "digamma": digamma}
    out.update(_rounding(dtype))
    out.update(_clients(dtype))
    return out


# -- rounding, remainders and the normal cdf (scans) ----------------------------------------
_BIG = 4503599627370496.0  # 2**52: every float of at least this magnitude is an integer
_SQRT1_2_HI, _SQRT1_2_LO = 0.7071067811865476, -4.833646656726457e-17  # sqrt(1/2) = hi + lo
_TWO_OVER_SQRT_PI = 1.1283791670955126
_HALF_LOG_2PI = 0.9189385332046728
_S_HI, _S_LO = _split(_SQRT1_2_HI)  # Dekker halves of sqrt(1/2)


def _rounding(dtype: type) -> dict[str, Callable]:
    """``floor``/``ceil``/``trunc``/``rint`` without ``math.floor`` (an int in Numba,
    undefined at NaN), NumPy's ``remainder``/``floor_divide`` (``npy_divmod``), and
    ``ndtr``/``log_ndtr`` (in float64): ``ndtr(x) = erfc(-x / sqrt(2)) / 2``; below -1 the
    argument ``-x / sqrt(2)`` is carried as two doubles and erfc corrected to first order
    (``erfc(z + d) = erfc(z) - d 2/sqrt(pi) exp(-z^2)``): rounding ``x / sqrt(2)`` alone
    would cost ``2 z^2`` ulps in the tail (900 ulps at x = -30). ``log_ndtr``:
    ``log1p(-Phi(-x))`` above 0, ``log(Phi(x))`` down to -20, and below the asymptotic
    series ``-x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - ...)`` (12 terms:
    below 1e-17 relative at -20)."""
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
        a = -v  # the argument -v / sqrt(2) as two doubles
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
        if v < -20.0:  # the asymptotic series
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
    """``erfcx(x) = exp(x^2) erfc(x)`` in float64. Below 25: ``x^2`` carried as two doubles
    (Dekker), so ``exp`` loses no ``x^2`` ulps; above: the asymptotic series
    ``1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k`` (erfc underflows there). Overflows to
    inf below about -26.6, as its true value does."""

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
