"""Shrinking a failing instance to the smallest shapes and simplest values: scalars where
the rule allows (the vectorized mode's failures are one element: a scalar instance),
then each value replaced by the simplest one that still fails (0, 1, -1, 2, a round
number, a power of two), then arrays cut along their axes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

SIMPLE = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, 10.0, -10.0, 100.0, 1e10, -1e10, 1e100,
          1e300, -1e300, 1e-10, 1e-100, 1e-300, 700.0, -700.0, 800.0, -800.0, math.inf,
          -math.inf, math.nan, -0.0)
MAX_TRIES = 400

Fails = Callable[[dict[str, np.ndarray]], bool]


def complexity(v: float) -> int:
    """Length of the shortest repr: ``1.0`` is simpler than ``1.0000000000000002``."""
    if math.isnan(v) or math.isinf(v):
        return 4
    return len(repr(float(v)))


def candidates(v: float, dtype: str, special: bool = True) -> list[float]:
    """Simpler values to try instead of ``v``, simplest first (``special``: +-inf and NaN
    among them)."""
    out = [c for c in SIMPLE if special or math.isfinite(c)]
    if math.isfinite(v) and v != 0:
        out += [float(f"{v:.{d}g}") for d in range(1, 4)]
        out.append(math.copysign(2.0 ** min(1023, round(math.log2(abs(v)))), v))
        out.append(float(round(v)))
    with np.errstate(all="ignore"):
        typed = [float(np.asarray(c, dtype=dtype)) for c in out]
    typed = [c for c in typed if special or math.isfinite(c)]
    here = complexity(v)
    keep, seen = [], set()
    for c in typed:
        key = repr(c)
        if complexity(c) < here and key not in seen:
            seen.add(key)
            keep.append(c)
    return sorted(keep, key=complexity)


def shrink_values(values: dict[str, np.ndarray], dtype: str, fails: Fails,
                  special: Callable[[str], bool] = lambda name: True) -> dict[str, Any]:
    """Greedily replace each element by the simplest value that keeps ``fails`` true
    (+-inf and NaN only for the variables where ``special(name)``)."""
    current = {k: np.array(v, dtype=dtype, copy=True) for k, v in values.items()}
    tries = 0
    changed = True
    while changed and tries < MAX_TRIES:
        changed = False
        for name in list(current):
            arr = current[name]
            for pos in np.ndindex(arr.shape):
                for c in candidates(float(arr[pos]), dtype, special(name)):
                    tries += 1
                    trial = {k: v.copy() for k, v in current.items()}
                    trial[name][pos] = c
                    if _safe(fails, trial):
                        current = trial
                        arr = current[name]
                        changed = True
                        break
                    if tries >= MAX_TRIES:
                        return current
    return current


def _cuts(values: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Smaller versions of ``values``: one axis cut to its first element (for one array,
    or for every array with that length at that position from the right), or the leading
    axis dropped."""
    out = []
    for name, arr in values.items():
        for back in range(1, arr.ndim + 1):
            n = arr.shape[-back]
            if n <= 1:
                continue
            alone = dict(values)
            alone[name] = np.take(arr, [0], axis=-back)
            together = {k: (np.take(v, [0], axis=-back) if v.ndim >= back
                            and v.shape[-back] == n else v) for k, v in values.items()}
            out += [together, alone]
        if arr.ndim:
            out.append({**values, name: arr[0]})
    return out


def shrink_shapes(values: dict[str, np.ndarray], fails: Fails) -> dict[str, np.ndarray]:
    """Make the arrays smaller (``_cuts``) while ``fails`` holds."""
    current = dict(values)
    for _ in range(MAX_TRIES):
        for trial in _cuts(current):
            if _safe(fails, trial):
                current = trial
                break
        else:
            return current
    return current


def _safe(fails: Fails, values: dict[str, np.ndarray]) -> bool:
    try:
        return bool(fails(values))
    except Exception:
        return False
