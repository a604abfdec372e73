"""Shapes, dtypes and the shape and dtype rules of the ops, plus ``user_location``.

Shape rules take the input shapes and the attrs and return the output shape, or raise
``_ShapeMismatch``; ``graph.apply`` turns that into a ``ShapeError`` naming the op, the
operand shapes and the user's line.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence

import numpy as np

Dim = int | str  # a concrete extent or a symbolic dimension name such as "n"
Shape = tuple[Dim, ...]

FLOAT_DTYPES = ("float32", "float64")
# Integers enter and leave graphs (inputs, results: ``cast``, layout ops); in between the
# tracer carries integer values exactly in float64 (up to 2**53), see frontend/functions.
INT_DTYPES = ("int32", "int64")
DTYPES = FLOAT_DTYPES + ("bool",) + INT_DTYPES

# ---------------------------------------------------------------------------------------
# Where in the user's code: used by errors raised while building graphs.

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))


def user_location() -> str:
    """Return ``file:line`` of the innermost stack frame outside eqsat-tensor and NumPy."""
    frame = sys._getframe(1)
    while frame is not None:
        fname = os.path.abspath(frame.f_code.co_filename)
        if not fname.startswith((_PACKAGE_DIR, _NUMPY_DIR)) and "importlib" not in fname:
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def fmt_shape(shape: Shape) -> str:
    """Render a shape the way NumPy does, symbolic dims included: ``(n, 3)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


# ---------------------------------------------------------------------------------------
# Shape rules. Each takes the input shapes and the attrs and returns the output shape, or
# raises ShapeError; ``apply`` adds the op name and the user's line to the message.


class _ShapeMismatch(Exception):
    """Raised by shape rules; turned into ShapeError by ``apply`` with full context."""


def broadcast_shapes(*shapes: Shape) -> Shape:
    """NumPy broadcasting over concrete and symbolic dims (``n`` with 1 gives ``n``)."""
    ndim = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(ndim):
        dim: Dim = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d == 1 or d == dim:
                continue
            if dim == 1:
                dim = d
            else:
                raise _ShapeMismatch("shapes cannot be broadcast together")
        out.append(dim)
    return tuple(out)


def _elementwise_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    return broadcast_shapes(*shapes)


def _reduce_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    if keepdims:
        return tuple(1 if i in axis else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axis)


def _matmul_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    a, b = shapes
    if len(a) == 0 or len(b) == 0:
        raise _ShapeMismatch("matmul does not take scalars")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise _ShapeMismatch(f"inner dimensions differ ({a2[-1]} vs {b2[-2]})")
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _transpose_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    axes = tuple(attrs["axes"])
    if sorted(axes) != list(range(len(shape))):
        raise _ShapeMismatch(f"axes {axes} are not a permutation of the {len(shape)} axes")
    return tuple(shape[i] for i in axes)


def _reshape_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    new = attrs["shape"]
    if all(isinstance(d, int) for d in shape) and all(isinstance(d, int) for d in new):
        if math.prod(shape) != math.prod(new):
            raise _ShapeMismatch(f"cannot reshape {math.prod(shape)} elements into "
                                 f"{fmt_shape(new)}")
    elif sorted(str(d) for d in shape if d != 1) != sorted(str(d) for d in new if d != 1):
        raise _ShapeMismatch("reshape with symbolic dims must keep the same dims")
    return tuple(new)


def _broadcast_to_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    target = attrs["shape"]
    try:
        ok = len(shape) <= len(target) and broadcast_shapes(shape, target) == tuple(target)
    except _ShapeMismatch:
        ok = False
    if not ok:
        raise _ShapeMismatch(f"cannot broadcast {fmt_shape(shape)} to {fmt_shape(target)}")
    return tuple(target)


def _expand_dims_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    out: list[Dim] = list(shape)
    for ax in attrs["axis"]:  # sorted ascending, normalized against the output rank
        out.insert(ax, 1)
    return tuple(out)


def _scan_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    (axis,) = attrs["axis"]  # one axis, as a 1-tuple (the reductions' encoding)
    if not 0 <= axis < len(shape):
        raise _ShapeMismatch(f"axis {axis} is out of range for rank {len(shape)}")
    return tuple(shape)


def _select_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    _scan_shape(shapes, attrs)
    return _reduce_shape(shapes, attrs)


def _leaf_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    raise AssertionError("leaf shapes are given, not inferred")


# ---------------------------------------------------------------------------------------
# Dtype rules.


def promote(*dtypes: str) -> str:
    """Float promotion: any float64 operand makes the result float64."""
    return "float64" if "float64" in dtypes else "float32"


def _float_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return promote(*dtypes)


def _compare_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return "bool"


def _where_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return promote(*dtypes[1:])


def _cast_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return attrs["dtype"]


def _same_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return dtypes[0]


def _index_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    """argmax/argmin: an index, carried exactly in float64 like every integer value in a
    graph (the tracer casts a returned index to int64)."""
    return "float64"


