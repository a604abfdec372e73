"""NumPy reference implementations that are more than one NumPy call.

They are the living definition of each op: obviously correct first, then stable where
NumPy itself is.
"""

from __future__ import annotations

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




def libm(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """Elementwise ``fn`` (a ``math`` function of one float, such as ``math.erf``) over an
    array, keeping its dtype: for functions NumPy lacks."""
    ufunc = np.frompyfunc(fn, 1, 1)

    def ref(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return np.asarray(ufunc(x.astype(np.float64)), dtype=np.float64).astype(dtype)

    ref.__name__ = fn.__name__
    return ref


def reciprocal(x: np.ndarray) -> np.ndarray:
    return np.divide(1, x, dtype=x.dtype)


