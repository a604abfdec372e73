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

    return {"nan_maximum": nan_maximum, "nan_minimum": nan_minimum, "sigmoid": sigmoid,
            "softplus": softplus, "logaddexp": logaddexp, "finite_or_zero": finite_or_zero}


__all__ = ["make"]
