"""Which traced arrays a function owns, and which are views of which (for item assignment,
``frontend.assign``): results of allocating NumPy functions, ufuncs, operators and methods
are owned (``mark_owned``); views record the array they were taken from and how
(``mark_view``), so that an assignment into the array can derive them again.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .tensor import Tensor

# NumPy functions and ndarray members whose result shares its operand's memory
VIEW_FUNCS: frozenset[Any] = frozenset(f for f in (
    np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.rollaxis, np.squeeze,
    np.expand_dims, np.broadcast_to, np.broadcast_arrays, np.atleast_1d, np.atleast_2d,
    np.atleast_3d, np.asarray, np.asanyarray, np.ascontiguousarray, np.real, np.imag,
    np.diagonal, np.flip, np.fliplr, np.flipud, np.rot90, np.split, np.array_split,
    np.hsplit, np.vsplit, np.dsplit, getattr(np, "matrix_transpose", None),
    getattr(np, "permute_dims", None)) if f is not None)
VIEW_METHODS: frozenset[str] = frozenset({
    "reshape", "ravel", "transpose", "squeeze", "swapaxes", "diagonal", "__getitem__",
    "__iter__", "view", "T", "mT", "real", "imag"})


def fresh(t: Tensor) -> Tensor:
    """A new owned array with ``t``'s value (what NumPy's copies return)."""
    out = Tensor(t.node, weak=t.weak, int_op=t.int_op, idt=t.idt)
    out.owned = True
    return out


def mark_owned(result: Any, operands: tuple) -> Any:
    """``result`` of an allocating function of ``operands``, its Tensors marked owned; a
    Tensor that is one of the operands themselves (a function that returns its input for
    a no-op) is replaced by an owned copy, since NumPy returns a new array."""
    if isinstance(result, Tensor):
        if any(result is o for o in operands):
            return fresh(result)
        result.owned = True
        return result
    if isinstance(result, (tuple, list)):
        return type(result)(mark_owned(r, operands) for r in result)
    return result


def mark_view(result: Any, source: Any, derive: Any) -> Any:
    """``result``, a view of the Tensor ``source``: ``source`` keeps a weak reference to it
    and it keeps ``derive`` (the same view of a given Tensor), so that an assignment into
    ``source`` derives it again. Tuples and lists (``np.split``) element by element."""
    if not isinstance(source, Tensor):
        return result
    if isinstance(result, Tensor):
        if result is not source:
            result.derive = derive
            source.views = [r for r in source.views or () if r() is not None]
            source.views.append(weakref.ref(result))
        return result
    if isinstance(result, (tuple, list)):
        return type(result)(mark_view(r, source, lambda src, i=i: derive(src)[i])
                            for i, r in enumerate(result))
    return result


__all__ = ["VIEW_FUNCS", "VIEW_METHODS", "fresh", "mark_owned", "mark_view"]
