"""Scalar device functions that generated CUDA kernels call (``name_float32``/``_float64``).

The CUDA counterparts of ``numba_helpers``: one copy per dtype with typed constants, so a
float32 kernel never promotes to float64 (NVVM would emit ``f64`` ops for a Python
literal). Semantics follow the reference backend: NaN-propagating ``maximum``/``minimum``,
stable ``sigmoid``/``softplus``/``logaddexp``. Importing this module needs no GPU (the
decorators compile lazily, at the first launch or ``compile_ptx``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import config, cuda

HELPER_NAMES = ("nan_maximum", "nan_minimum", "logaddexp", "sigmoid", "softplus",
                "finite_or_zero", "cbrt", "exp2")


def _make(dtype: type) -> dict[str, Any]:
    zero, one, ln2 = dtype(0.0), dtype(1.0), dtype(math.log(2.0))
    two, third = dtype(2.0), dtype(1.0 / 3.0)
    device = cuda.jit(device=True, inline="always")

    @device
    def nan_maximum(a, b):
        return a if (a > b or a != a) else b  # NumPy: equal values give b (-0.0, 0.0)

    @device
    def nan_minimum(a, b):
        return a if (a < b or a != a) else b  # NumPy: equal values give b

    @device
    def sigmoid(x):
        e = math.exp(-abs(x))
        num = one if x >= zero else e
        return num / (one + e)

    @device
    def softplus(x):
        m = x if x > zero else zero
        return m + math.log1p(math.exp(-abs(x)))

    @device
    def logaddexp(a, b):
        if a == b:
            return a + ln2
        d = a - b
        if d > zero:
            return a + math.log1p(math.exp(-d))
        if d <= zero:
            return b + math.log1p(math.exp(d))
        return d  # NaN

    @device
    def finite_or_zero(m):
        return m if (m - m) == zero else zero

    @device
    def cbrt(x):
        r = math.pow(abs(x), third)
        return -r if x < zero else r

    @device
    def exp2(x):
        return math.pow(two, x)

    return {"nan_maximum": nan_maximum, "nan_minimum": nan_minimum, "sigmoid": sigmoid,
            "softplus": softplus, "logaddexp": logaddexp, "finite_or_zero": finite_or_zero,
            "cbrt": cbrt, "exp2": exp2}


HELPERS: dict[str, dict[str, Any]] = {"float32": _make(np.float32), "float64": _make(np.float64)}

if config.ENABLE_CUDASIM:  # simulated kernels run Python: IEEE results, not math's errors
    from .cuda_runtime import simulator_math

    math = simulator_math()  # noqa: F811 - the helpers' closures read this global

for _dt, _table in HELPERS.items():
    for _name, _fn in _table.items():
        globals()[f"{_name}_{_dt}"] = _fn

__all__ = ["HELPERS", "HELPER_NAMES"]
