"""Compiled forms of the gather and scan plan steps for the packed entry
(``numba_packed``): every operand is viewed as a C-contiguous ``(A, n, B)`` block around
the op's axis, so one loop nest serves every rank and axis.

``take3``/``scatter_add3`` are ``take`` and its VJP along the middle axis (indices
checked, negative ones wrapped, as NumPy's ``take`` / ``np.add.at``); ``scan3`` runs
``cumsum``, ``cumsum_reverse`` and ``cumprod`` (``SCANS``: its direction and operation)
sequentially along the middle axis, the order NumPy's ``cumsum`` uses, so the results are
bitwise NumPy's.
"""

from __future__ import annotations

import numba
import numpy as np

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(**_OPTS)
def _checked(idx, n):
    out = np.empty(idx.shape[0], np.int64)
    for k in range(idx.shape[0]):
        i = idx[k]
        if i < 0:
            i += n
        if i < 0 or i >= n:
            raise IndexError("index out of bounds in take / scatter_add")
        out[k] = i
    return out


@numba.njit(**_OPTS)
def take3(x, idx):
    """``x`` (A, n, B) at ``idx`` (K,) along the middle axis: (A, K, B)."""
    a_, n, b_ = x.shape
    ii = _checked(idx, n)
    out = np.empty((a_, ii.shape[0], b_), x.dtype)
    for a in range(a_):
        for k in range(ii.shape[0]):
            i = ii[k]
            for b in range(b_):
                out[a, k, b] = x[a, i, b]
    return out


@numba.njit(**_OPTS)
def scatter_add3(g, idx, n):
    """Zeros (A, n, B) plus ``g`` (A, K, B) added at ``idx`` (K,) along the middle axis."""
    a_, k_, b_ = g.shape
    ii = _checked(idx, n)
    out = np.zeros((a_, n, b_), g.dtype)
    for a in range(a_):
        for k in range(k_):
            i = ii[k]
            for b in range(b_):
                out[a, i, b] += g[a, k, b]
    return out


@numba.njit(**_OPTS)
def scan3(x, reverse, product):
    """Cumulative sum (or product, ``product``) along the middle axis of (A, n, B), from the
    start or, ``reverse``, from the end. The flags are tested once per row, outside the
    inner loop over B, which stays a vectorizable run over contiguous memory."""
    out = np.empty_like(x)
    a_, n, b_ = x.shape
    first, step = (n - 1, -1) if reverse else (0, 1)
    for a in range(a_):
        if n:
            out[a, first, :] = x[a, first, :]
        for t in range(1, n):
            j = first + step * t
            p = j - step
            if product:
                for b in range(b_):
                    out[a, j, b] = out[a, p, b] * x[a, j, b]
            else:
                for b in range(b_):
                    out[a, j, b] = out[a, p, b] + x[a, j, b]
    return out


# scan op -> scan3's (reverse, product) flags
SCANS: dict[str, tuple[bool, bool]] = {"cumsum": (False, False),
                                       "cumsum_reverse": (True, False),
                                       "cumprod": (False, True)}
NAMES = ("take3", "scatter_add3", "scan3")

__all__ = [*NAMES, "SCANS"]
