"""Numerical helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def finite_difference(fn: Callable[..., float], args: Sequence[np.ndarray], i: int = 0,
                      eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``fn(*args)`` with respect to ``args[i]``."""
    g = np.zeros_like(args[i])
    for idx in np.ndindex(args[i].shape):
        hi = [a.copy() for a in args]
        lo = [a.copy() for a in args]
        hi[i][idx] += eps
        lo[i][idx] -= eps
        g[idx] = (fn(*hi) - fn(*lo)) / (2 * eps)
    return g


def weighted_loss(fn: Callable[..., np.ndarray], w: np.ndarray, arity: int) -> Callable:
    """``sum(fn(*args) * w)`` as a function of ``arity`` positional arrays (one or two: the
    NumPy tracer takes it as written)."""
    if arity == 1:
        def loss(a):
            return np.sum(fn(a) * w)
    else:
        def loss(a, b):
            return np.sum(fn(a, b) * w)
    return loss


def numpy_reference(fn: Callable, args: Sequence) -> object:
    """``fn(*args)`` run by NumPy with floating-point warnings silenced."""
    with np.errstate(all="ignore"):
        return fn(*args)


def assert_like_numpy(got: object, want: object, rtol: float = 1e-9,
                      atol: float = 1e-12) -> None:
    """``got`` is NumPy's ``want``: the same kind (array or NumPy scalar), shape, dtype
    and values (NaN equal to NaN)."""
    assert type(got) is type(want) or (isinstance(got, np.ndarray)
                                       and isinstance(want, np.ndarray)), (type(got), type(want))
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
