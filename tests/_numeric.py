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
