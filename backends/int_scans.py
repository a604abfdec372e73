"""Whole-array integer checks made on every call (int64 arguments within +-2**53, int64
results free of the NaN marker), compiled by Numba when Numba is already loaded.

NumPy's ``arr.max()`` / ``(arr == v).any()`` cost 1-3 µs each on small arrays: most of a
small call's time. A compiled loop costs its dispatch (~0.2 µs). Callers that never loaded
Numba (the NumPy backend alone) keep NumPy's reductions: importing Numba for a check would
cost more than it saves.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

_SCANS: Any = None  # (beyond, equals): the compiled scans, once built


def _compiled() -> Any:
    global _SCANS
    if _SCANS is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def beyond(flat, limit):  # any |v| > limit
            for v in flat:
                if v > limit or v < -limit:
                    return True
            return False

        @numba.njit(cache=True, nogil=True)
        def equals(flat, value):  # any v == value
            for v in flat:
                if v == value:
                    return True
            return False

        _SCANS = (beyond, equals)
    return _SCANS


def _flat_int64(arr: np.ndarray) -> np.ndarray | None:
    """A flat view of a C-contiguous int64 ndarray when Numba is loaded, else None."""
    if "numba" not in sys.modules or type(arr) is not np.ndarray or \
            arr.dtype != np.int64 or not arr.flags.c_contiguous:
        return None
    return arr.reshape(-1)


def any_beyond(arr: np.ndarray, limit: int) -> bool:
    """Whether an integer array holds a value outside ``[-limit, limit]``."""
    flat = _flat_int64(arr)
    if flat is not None:
        return bool(_compiled()[0](flat, limit))
    return bool(arr.max() > limit or arr.min() < -limit)


def any_equal(arr: np.ndarray, value: int) -> bool:
    """Whether an integer array holds ``value``."""
    flat = _flat_int64(arr)
    if flat is not None:
        return bool(_compiled()[1](flat, value))
    return bool((arr == value).any())
