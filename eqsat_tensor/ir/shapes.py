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
# tracer carries integer values exactly in float64 (up to 2**53), see frontend/operands.
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


# -- indexing and joins (index) --------------------------------------------------------------
# A ``slices`` attribute holds one ``(start, stop, step)`` triple per axis in normal form
# (``normalize_slice``): ``(0, None, 1)`` is the whole axis (any extent, symbolic too);
# otherwise ints of a concrete extent with ``stop`` None only for a negative step that runs
# to index 0, and ``(0, 0, 1)`` for every empty selection.

FULL_SLICE = (0, None, 1)


def normalize_slice(s: slice, n: Dim) -> tuple[int, int | None, int]:
    """The normal-form triple of Python slice ``s`` on an axis of extent ``n``."""
    if s.step == 0:
        raise ValueError("slice step cannot be zero")
    if s == slice(None) or (s.step in (None, 1) and s.start in (None, 0) and s.stop is None):
        return FULL_SLICE
    if not isinstance(n, int):
        raise _ShapeMismatch(f"the slice {_slice_text(s)} of the symbolic dim {n!r} needs "
                             "concrete sizes")
    start, stop, step = s.indices(n)
    count = len(range(start, stop, step))
    if count == 0:
        return (0, 0, 1)
    if step == 1 and start == 0 and count == n:
        return FULL_SLICE
    if step > 0:
        return (start, start + (count - 1) * step + 1, step)
    end = start + (count - 1) * step - 1
    return (start, None if end < 0 else end, step)


def _slice_text(s: slice) -> str:
    parts = ["" if v is None else str(v) for v in (s.start, s.stop, s.step)]
    return ":".join(parts[:2]) + (f":{parts[2]}" if s.step is not None else "")


def slice_extent(triple: tuple, n: Dim) -> Dim:
    """Extent of the normal-form ``triple`` on an axis of extent ``n``."""
    if tuple(triple) == FULL_SLICE:
        return n
    start, stop, step = triple
    if not isinstance(n, int):
        raise _ShapeMismatch(f"slice {triple} of the symbolic dim {n!r} needs concrete sizes")
    if step > 0:
        if not 0 <= start <= n or stop > n:
            raise _ShapeMismatch(f"slice {triple} is out of range for extent {n}")
        return len(range(start, stop, step))
    if not 0 <= start < n:
        raise _ShapeMismatch(f"slice {triple} is out of range for extent {n}")
    return len(range(start, -1 if stop is None else stop, step))


def compose_slices(inner: Sequence[tuple], outer: Sequence[tuple], shape: Shape | None = None
                   ) -> tuple[tuple, ...]:
    """The one ``slices`` attribute equal to slicing by ``inner`` then by ``outer`` an array
    of ``shape`` (slice of a slice => one slice). Without ``shape`` a selection of a whole
    axis keeps its concrete bounds (not the normal form ``(0, None, 1)``)."""
    if len(inner) != len(outer):
        raise ValueError("compose_slices: the slices have different ranks")
    out = []
    for t1, t2, n in zip(inner, outer, shape if shape is not None else (None,) * len(inner)):
        t1, t2 = tuple(t1), tuple(t2)
        if t1 == FULL_SLICE or t2 == FULL_SLICE:
            out.append(t2 if t1 == FULL_SLICE else t1)
            continue
        a1, b1, c1 = t1
        a2, b2, c2 = t2
        count = len(range(a2, -1 if b2 is None else b2, c2))
        if count == 0:
            out.append((0, 0, 1))
            continue
        start, step = a1 + a2 * c1, c1 * c2
        stop = start + (count - 1) * step + (1 if step > 0 else -1)
        if isinstance(n, int):
            out.append(normalize_slice(slice(start, None if stop < 0 else stop, step), n))
        else:
            out.append((start, None if stop < 0 else stop, step))
    return tuple(out)


def slice_key(slices: Sequence[tuple]) -> tuple[slice, ...]:
    """The NumPy index of a ``slices`` attribute."""
    return tuple(slice(a, b, c) for a, b, c in slices)


def _slice_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    slices = attrs["slices"]
    if len(slices) != len(shape):
        raise _ShapeMismatch(f"{len(slices)} slices for an array of rank {len(shape)}")
    return tuple(slice_extent(t, d) for t, d in zip(slices, shape))


def _same_dims(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and all(x == y or not (isinstance(x, int) and isinstance(y, int))
                                    and str(x) == str(y) for x, y in zip(a, b))


def _pad_slice_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    (shape,) = shapes
    target = tuple(attrs["shape"])
    inner = _slice_shape([target], attrs)
    if not _same_dims(tuple(shape), inner):
        raise _ShapeMismatch(f"the slices of {fmt_shape(target)} have shape "
                             f"{fmt_shape(inner)}, not {fmt_shape(tuple(shape))}")
    return target


def _one_axis(attrs: dict, ndim: int) -> int:
    axis = tuple(attrs["axis"])
    if len(axis) != 1 or not 0 <= axis[0] < max(ndim, 1):
        raise _ShapeMismatch(f"axis {axis} must be one axis of the rank-{ndim} operand")
    return axis[0]


def _concatenate_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    a, b = shapes
    if len(a) != len(b) or not a:
        raise _ShapeMismatch("concatenate needs operands of the same rank >= 1")
    ax = _one_axis(attrs, len(a))
    for i, (x, y) in enumerate(zip(a, b)):
        if i != ax and x != y:
            raise _ShapeMismatch(f"the extents differ on axis {i} ({x} vs {y})")
    n, m = a[ax], b[ax]
    if not (isinstance(n, int) and isinstance(m, int)):
        if n == 0 or m == 0:
            return a if m == 0 else b
        raise _ShapeMismatch("concatenating along symbolic dims needs concrete sizes")
    return a[:ax] + (n + m,) + a[ax + 1:]


def _take_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    x, idx = shapes
    ax = _one_axis(attrs, len(x))
    if not x:
        raise _ShapeMismatch("take needs an operand of rank >= 1")
    return x[:ax] + tuple(idx) + x[ax + 1:]


def _take_along_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    x, idx = shapes
    if len(x) != len(idx) or not x:
        raise _ShapeMismatch("take_along_axis needs an index of the operand's rank")
    ax = _one_axis(attrs, len(x))
    rest = broadcast_shapes(tuple(1 if i == ax else d for i, d in enumerate(x)),
                            tuple(1 if i == ax else d for i, d in enumerate(idx)))
    return rest[:ax] + (idx[ax],) + rest[ax + 1:]


def _scatter_add_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    g, idx = shapes
    target = tuple(attrs["shape"])
    if not target:
        raise _ShapeMismatch("scatter_add needs a target of rank >= 1")
    return _scatter_target(g, target, _take_shape([target, idx], attrs))


def _scatter_add_along_shape(shapes: Sequence[Shape], attrs: dict) -> Shape:
    g, idx = shapes
    target = tuple(attrs["shape"])
    return _scatter_target(g, target, _take_along_shape([target, idx], attrs))


def _scatter_target(g: Shape, target: Shape, want: Shape) -> Shape:
    """``target``, once the update ``g`` has the shape ``want`` of the matching gather."""
    if not _same_dims(tuple(g), want):
        raise _ShapeMismatch(f"the update has shape {fmt_shape(tuple(g))}, the gather of "
                             f"{fmt_shape(target)} has {fmt_shape(want)}")
    return target


def _join_dtype(dtypes: Sequence[str], attrs: dict) -> str:
    return dtypes[0] if len(set(dtypes)) == 1 else promote(*dtypes)


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


