"""Cached ``@et.jit`` dispatch overhead on small arrays (DESIGN target: < 20 µs).

Overhead = time of a cached ``f(x, y)`` call minus the time of calling the compiled Numba
kernel directly on preallocated output (what any compiled function must pay).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _best_per_call(fn: Any, *args: Any, calls: int = 2000, rounds: int = 7) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        best = min(best, (time.perf_counter() - t) / calls)
    return best


def dispatch_overhead(backend: str = "numba") -> dict[str, float]:
    """Seconds per call: the jit call, the bare kernel, and their difference."""
    import eqsat_tensor as et

    def small(x, y):
        return x * y + 1.0

    f = et.jit(small, backend=backend)
    x, y = np.ones(16), np.ones(16)
    f(x, y)
    call = _best_per_call(f, x, y)
    exe = f.lower(x, y).executable
    kernels = getattr(exe, "compiled_kernels", None)
    if kernels is None:
        return {"jit_call": call, "kernel": 0.0, "overhead": call}
    k = kernels()["k0_serial"]
    out = np.empty(16)
    kernel = _best_per_call(k, 16, x, y, out)
    return {"jit_call": call, "kernel": kernel, "overhead": call - kernel}


if __name__ == "__main__":
    r = dispatch_overhead()
    print({k: f"{v * 1e6:.2f} us" for k, v in r.items()})
