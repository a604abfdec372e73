"""NumPy reference implementations that are more than one NumPy call.

They are the living definition of each op: obviously correct first, then stable where
NumPy itself is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import scalars


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




def _dense(a: np.ndarray) -> np.ndarray:
    if isinstance(a, np.ndarray) and a.size > 1 and 0 in a.strides:
        return np.ascontiguousarray(a)
    return a


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul`` with broadcast (zero-stride) operands made contiguous first. NumPy
    rounds a product differently by layout (BLAS, with its FMA and blocked sums, only for
    positive strides; its own loop otherwise); the broadcasts in a graph are mostly the
    optimizer's (``where(c, x, x) -> x`` broadcast to ``c``'s shape), standing where the
    user's program had a materialized array that took the BLAS path."""
    return np.matmul(_dense(a), _dense(b))


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


# ``_digamma_series()`` evaluated once and written out in ``scalars``; the scalar algorithms
# of the ops NumPy lacks are ``scalars.make(float)``'s, the very code the backends compile
_X0_HI, _X0_LO, DIGAMMA_COEFFS = scalars._X0_HI, scalars._X0_LO, scalars.DIGAMMA_COEFFS
_SCALARS = scalars.make(float)
digamma_scalar: Callable[[float], float] = _SCALARS["digamma"]
ndtr_scalar: Callable[[float], float] = _SCALARS["ndtr"]
log_ndtr_scalar: Callable[[float], float] = _SCALARS["log_ndtr"]
erfcx_scalar: Callable[[float], float] = _SCALARS["erfcx"]


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
