"""NumPy reference implementations that are more than one NumPy call.

They are the living definition of each op: obviously correct first, then stable where
NumPy itself is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x), copy=False)


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(np.zeros((), dtype=np.result_type(x)), x)


def logsumexp(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def reduction(fn: Callable) -> Callable:
    def ref(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return fn(x, axis=axis, keepdims=keepdims)

    return ref




def scan(fn: Callable) -> Callable:
    """A scan or selection along one axis (``axis`` a 1-tuple): ``np.cumsum``,
    ``np.cumprod``, ``np.sort``, ``np.argmax``, ``np.argmin``."""

    def ref(x: np.ndarray, axis: tuple[int, ...], keepdims: bool = False) -> np.ndarray:
        (ax,) = axis
        if fn in (np.argmax, np.argmin):
            return fn(x, axis=ax, keepdims=keepdims).astype(np.float64)
        return fn(x, axis=ax)

    ref.__name__ = fn.__name__
    return ref


def argsort(x: np.ndarray, axis: tuple[int, ...], keepdims: bool = False) -> np.ndarray:
    """``np.argsort(x, axis, kind="stable")`` (int64, NaN last)."""
    (ax,) = axis
    return np.argsort(x, axis=ax, kind="stable").astype(np.int64)


def cumsum_reverse(x: np.ndarray, axis: tuple[int, ...], keepdims: bool = False
                   ) -> np.ndarray:
    """The cumulative sum from the end along ``axis`` (the VJP of ``cumsum``)."""
    (ax,) = axis
    return np.flip(np.cumsum(np.flip(x, ax), axis=ax), ax)




def reciprocal(x: np.ndarray) -> np.ndarray:
    return np.divide(1, x, dtype=x.dtype)




def lgamma_scalar(x: float) -> float:
    """``log|Gamma(x)|`` of one float (libm's ``lgamma``), ``inf`` at the poles."""
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):  # a pole (x a non-positive integer), or overflow
        return math.inf


def _digamma_series() -> tuple[float, float, tuple[float, ...]]:
    """The positive root x0 of digamma as two doubles (hi + lo) and the Taylor
    coefficients there (from mpmath, once): digamma(x) = sum_k c_k (x - x0)**k,
    converging for |x - x0| < x0."""
    import mpmath

    with mpmath.workdps(40):
        x0 = mpmath.findroot(mpmath.digamma, 1.4616321449683623)
        hi = float(x0)
        coeffs = tuple(float(mpmath.polygamma(k, x0) / mpmath.factorial(k))
                       for k in range(1, 48))
        return hi, float(x0 - hi), coeffs


# ``_digamma_series()`` evaluated once and written out (mpmath at import cost 0.1-0.2 s
# per process; tests/test_startup.py recomputes them and compares)
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


def digamma_scalar(x: float) -> float:
    """``digamma(x)`` of one float: poles (0, negative integers) as SciPy (``-inf`` at
    +0, ``inf`` at -0, NaN at negative integers and -inf); reflection for x < 0, the
    Taylor series at the positive root on [1, 2], recurrences to it, and the asymptotic
    series above 12."""
    if x != x or x == math.inf:
        return x
    if x == -math.inf:
        return math.nan
    result = 0.0
    if x <= 0.0:
        if x == math.floor(x):
            if x == 0.0:
                return -math.copysign(math.inf, x)
            return math.nan
        if x < -20.0:  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
            r = x - math.floor(x)  # exact; tan has period pi
            result = -math.pi / math.tan(math.pi * r)
            x = 1.0 - x
    while x < 1.0:  # psi(x) = psi(x + 1) - 1 / x
        result -= 1.0 / x
        x += 1.0
    if x > 12.0:
        inv = 1.0 / x
        inv2 = inv * inv
        tail = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (
            1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12.0))))))
        return result + (math.log(x) - 0.5 * inv - tail)
    while x > 2.0:
        x -= 1.0
        result += 1.0 / x
    d = (x - _X0_HI) - _X0_LO  # exact first step (Sterbenz), then the low part
    acc = 0.0
    for c in DIGAMMA_COEFFS[::-1]:
        acc = acc * d + c
    return result + acc * d


_SQRT1_2_HI, _SQRT1_2_LO = 0.7071067811865476, -4.833646656726457e-17
_TWO_OVER_SQRT_PI = 1.1283791670955126
_HALF_LOG_2PI = 0.9189385332046728


def _split(a: float) -> tuple[float, float]:
    """Dekker's split: ``a = hi + lo`` with 26-bit halves (exact products of halves)."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def ndtr_scalar(x: float) -> float:
    """The standard normal cdf ``Phi(x) = erfc(-x / sqrt(2)) / 2`` of one float. Below -1
    the argument ``-x / sqrt(2)`` is carried as two doubles and erfc corrected to first
    order (``erfc(z + d) = erfc(z) - d 2/sqrt(pi) exp(-z^2)``): rounding ``x / sqrt(2)``
    alone would cost ``2 z^2`` ulps in the tail (900 ulps at x = -30)."""
    if x != x:
        return x
    if x >= -1.0:
        return 0.5 * math.erfc(-x * _SQRT1_2_HI)
    if x < -40.0:
        return 0.0  # below the smallest subnormal
    a = -x
    z = a * _SQRT1_2_HI
    ah, al = _split(a)
    bh, bl = _split(_SQRT1_2_HI)
    err = ((ah * bh - z) + ah * bl + al * bh) + al * bl  # a * hi - z, exactly
    d = err + a * _SQRT1_2_LO
    return 0.5 * (math.erfc(z) - d * _TWO_OVER_SQRT_PI * math.exp(-z * z))


def log_ndtr_scalar(x: float) -> float:
    """``log(Phi(x))`` of one float: ``log1p(-Phi(-x))`` above 0, ``log(Phi(x))`` down to
    -20, and below the asymptotic series ``-x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2
    + 3/x^4 - ...)`` (12 terms: below 1e-17 relative at -20)."""
    if x != x:
        return x
    if x > 0.0:
        return math.log1p(-ndtr_scalar(-x))
    if x >= -20.0:
        return math.log(ndtr_scalar(x))
    if x == -math.inf:
        return x
    t = 1.0 / (x * x)
    term, r = 1.0, 0.0
    for k in range(1, 13):
        term *= -(2 * k - 1) * t
        r += term
    return -(0.5 * x) * x - math.log(-x) - _HALF_LOG_2PI + math.log1p(r)


def scalar_ufunc(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """Elementwise ``fn`` of one float (such as ``math.erf``) over an array, keeping a
    float dtype (other dtypes give float64): for functions NumPy lacks."""
    ufunc = np.frompyfunc(fn, 1, 1)

    def ref(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return np.asarray(ufunc(x.astype(np.float64)), dtype=np.float64).astype(dtype)

    ref.__name__ = fn.__name__
    return ref


digamma = scalar_ufunc(digamma_scalar)
libm = scalar_ufunc  # a `math` function of one float as an array function


# -- indexing and joins (index) ----------------------------------------------------------------
# Index operands may arrive as object arrays of exact numbers (the exact evaluators apply
# these references to them): they are turned back into int64 first.


def _index_array(idx: np.ndarray) -> np.ndarray:
    idx = np.asarray(idx)
    return idx if idx.dtype.kind in "iu" else np.asarray(idx.astype(float), dtype=np.int64)


def _zeros(shape: tuple, like: np.ndarray) -> np.ndarray:
    like = np.asarray(like)
    if like.dtype == object:
        out = np.empty(shape, dtype=object)
        out.fill(0.0)
        return out
    return np.zeros(shape, dtype=like.dtype)


def slice_ref(x: np.ndarray, slices: tuple) -> np.ndarray:
    """``x[start:stop:step, ...]`` for the normal-form triples ``slices`` (a view)."""
    return np.asarray(x)[tuple(slice(a, b, c) for a, b, c in slices)]


def pad_slice_ref(g: np.ndarray, slices: tuple, shape: tuple) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` written at ``slices`` (the VJP of ``slice``)."""
    out = _zeros(tuple(shape), g)
    out[tuple(slice(a, b, c) for a, b, c in slices)] = g
    return out


def concatenate_ref(a: np.ndarray, b: np.ndarray, axis: tuple) -> np.ndarray:
    """``np.concatenate((a, b), axis)``."""
    return np.concatenate((a, b), axis=axis[0])


def take_ref(x: np.ndarray, idx: np.ndarray, axis: tuple) -> np.ndarray:
    """``np.take(x, idx, axis)``: IndexError for an index outside ``[-n, n)``."""
    return np.take(x, _index_array(idx), axis=axis[0])


def take_along_axis_ref(x: np.ndarray, idx: np.ndarray, axis: tuple) -> np.ndarray:
    """``np.take_along_axis(x, idx, axis)``."""
    return np.take_along_axis(np.asarray(x), _index_array(idx), axis=axis[0])


def scatter_add_ref(g: np.ndarray, idx: np.ndarray, axis: tuple, shape: tuple) -> np.ndarray:
    """Zeros of ``shape`` plus ``g`` added at ``idx`` along ``axis`` (repeats accumulate):
    the VJP of ``take``."""
    out = _zeros(tuple(shape), g)
    np.add.at(out, (slice(None),) * axis[0] + (_index_array(idx),), g)
    return out


def scatter_add_along_ref(g: np.ndarray, idx: np.ndarray, axis: tuple, shape: tuple
                          ) -> np.ndarray:
    """Zeros of ``shape`` plus ``g`` added at ``idx`` along ``axis``: the VJP of
    ``take_along_axis`` (axes where ``shape`` has extent 1 are summed into it)."""
    g = np.asarray(g)
    out = _zeros(tuple(shape), g)
    ax = axis[0]
    where = []
    for d, (n, m) in enumerate(zip(shape, g.shape)):
        if d == ax:
            where.append(np.broadcast_to(_index_array(idx), g.shape))
        else:
            ar = np.arange(m) if n == m else np.zeros(m, dtype=np.int64)
            where.append(ar.reshape((1,) * d + (m,) + (1,) * (g.ndim - d - 1)))
    np.add.at(out, tuple(where), g)
    return out


# -- erfcx (clients) --------------------------------------------------------------------------
def erfcx_scalar(x: float) -> float:
    """The scaled complementary error function ``exp(x^2) erfc(x)`` of one float.
    Below 25: ``x^2`` carried as two doubles (Dekker), so ``exp`` loses no ``x^2`` ulps;
    above: the asymptotic series ``1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k`` (erfc
    underflows there). Overflows to inf below about -26.6, as its true value does."""
    if x != x:
        return x
    if x < 25.0:
        c = 134217729.0 * x
        xh = c - (c - x)
        xl = x - xh
        hi = x * x
        lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
        e = math.exp(hi) if hi < 709.7 else math.inf
        return e * (1.0 + lo) * math.erfc(x) if e != math.inf else (
            math.inf if x < 0 else 0.0)
    if x == math.inf:
        return 0.0
    t = 0.5 / (x * x)
    term, s = 1.0, 1.0
    for k in range(1, 12):
        term *= -(2.0 * k - 1.0) * t
        s += term
    return (s / 1.7724538509055160273) / x
