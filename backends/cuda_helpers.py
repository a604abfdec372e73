"""Scalar device functions that generated CUDA kernels call (``name_float32``/``_float64``).

The functions of ``ir.scalars`` (shared with the Numba CPU backend and the reference)
plus ``cbrt`` and ``exp2``, compiled as inlined device functions: one copy per dtype with
typed constants, so a float32 kernel never promotes to float64 (NVVM would emit ``f64`` ops
for a Python literal). Importing this module needs no GPU (the decorators compile lazily,
at the first launch or ``compile_ptx``).
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
from numba import config, cuda

from ..ir import scalars
from .cuda_runtime import simulator_math

HELPER_NAMES = ("nan_maximum", "nan_minimum", "logaddexp", "sigmoid", "softplus",
                "finite_or_zero", "cbrt", "exp2", "gammaln", "digamma",
                # -- scans --
                "floor", "ceil", "trunc", "rint", "remainder", "floor_divide", "ndtr",
                "log_ndtr",
                # -- PyMC's special functions (clients) --
                "erfcx", "log1mexp")


def _cuda_only(dtype: type) -> dict[str, Any]:
    """Helpers for ops whose Numba lowering calls NumPy (not available in kernels)."""
    two, third, zero = dtype(2.0), dtype(1.0 / 3.0), dtype(0.0)

    def cbrt(x):
        r = math.pow(abs(x), third)
        return -r if x < zero else r

    def exp2(x):
        return math.pow(two, x)

    return {"cbrt": cbrt, "exp2": exp2}


def _device(fn: Any, libm: Any) -> Any:
    """``fn`` as an inlined device function whose ``math`` is ``libm``."""
    if libm is not math:  # the simulator's stand-in: a copy of fn reading it
        fn = types.FunctionType(fn.__code__, {**fn.__globals__, "math": libm}, fn.__name__,
                                fn.__defaults__, fn.__closure__)
    return cuda.jit(device=True, inline="always")(fn)


def _make(dtype: type) -> dict[str, Any]:
    # simulated kernels run Python: IEEE results, not math's errors
    libm = simulator_math() if config.ENABLE_CUDASIM else math
    fns = {**scalars.make(dtype), **_cuda_only(dtype)}
    return {name: _device(fn, libm) for name, fn in fns.items()}


HELPERS: dict[str, dict[str, Any]] = {"float32": _make(np.float32), "float64": _make(np.float64)}

for _dt, _table in HELPERS.items():
    for _name, _fn in _table.items():
        globals()[f"{_name}_{_dt}"] = _fn

__all__ = ["HELPERS", "HELPER_NAMES"]
