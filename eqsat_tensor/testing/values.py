"""Hypothesis strategies for values, arrays and shapes (see ``strategies`` for the tour).

``edge_values`` lists the finite floats that break numerics; ``floats`` mixes them into
ordinary finite floats (or keeps to ``SAFE_RANGE``); ``arrays``, ``shapes`` and
``broadcastable_shapes`` build on ``hypothesis.extra.numpy``.
"""

from __future__ import annotations

from collections.abc import Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

__all__ = ["SAFE_RANGE", "arrays", "broadcastable_shapes", "edge_values", "floats", "shapes"]

SAFE_RANGE = (0.125, 0.875)


def edge_values(dtype: str = "float64") -> list[float]:
    """The finite values that break numerics: 0, -0.0, ±1, ±eps, ±tiny (smallest normal),
    ±smallest subnormal, ±huge (largest finite), ±sqrt(huge)."""
    fi = np.finfo(dtype)
    base = [0.0, 1.0, float(fi.eps), float(fi.tiny), float(fi.smallest_subnormal),
            float(fi.max), float(np.sqrt(fi.max)), 0.5, 2.0]
    out = [-0.0]
    for b in base:
        out += [b] if b == 0.0 else [b, -b]
    return out


def floats(dtype: str = "float64", *, safe: bool = False, edges: bool = True
           ) -> st.SearchStrategy[float]:
    """Finite floats representable in ``dtype``, with ``edge_values`` mixed in.

    ``safe=True`` keeps values in ``SAFE_RANGE`` (moderate, positive, < 1), where every
    single op of the table is defined and nothing overflows; compositions may still leave
    a domain (``log`` gives a negative), which the callers compare with ``equal_nan``.
    """
    width = 32 if dtype == "float32" else 64
    if safe:
        return st.floats(*SAFE_RANGE, width=width)
    core = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=width)
    if not edges:
        return core
    return st.one_of(st.sampled_from(edge_values(dtype)), core)


def arrays(shape: Sequence[int], dtype: str = "float64", *, safe: bool = False,
           elements: st.SearchStrategy | None = None) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` and ``dtype`` (``bool`` allowed) with ``floats(dtype, safe)``
    elements unless ``elements`` is given."""
    if dtype == "bool":
        return hnp.arrays(np.bool_, tuple(shape), elements=elements or st.booleans())
    return hnp.arrays(np.dtype(dtype), tuple(shape),
                      elements=elements or floats(dtype, safe=safe))


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4,
           allow_empty: bool = False) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; ``allow_empty`` lets a dim be 0 now and then."""
    base = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)
    if not allow_empty:
        return base
    return st.one_of(base, base.flatmap(lambda s: _with_zero(s))) if max_dims > 0 else base


def _with_zero(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    if not shape:
        return st.just(shape)
    return st.integers(0, len(shape) - 1).map(lambda i: shape[:i] + (0,) + shape[i + 1:])


def broadcastable_shapes(shape: Sequence[int], *, max_dims: int | None = None,
                         max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes that broadcast with ``shape`` (size-1 dims, fewer or extra leading dims)."""
    shape = tuple(shape)
    top = max_dims if max_dims is not None else len(shape) + 1
    return hnp.broadcastable_shapes(shape, min_dims=0, max_dims=max(top, 0), min_side=1,
                                    max_side=max(max_side, *(d for d in shape), 1))
