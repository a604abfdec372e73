"""Layout builders: transposes, reshapes, broadcasts, added or removed axes and the
``*_like`` constants; an integer-valued operand gives an integer-valued result.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..ir import FLOAT_DTYPES, apply, constant_node, fmt_shape, normalize_axis
from .location import unsupported, user_location
from .operands import _as_int, _axis, _wrap, to_node
from .tensor import Tensor

# -- layout ----------------------------------------------------------------------------------


def _keeps_int(fn: Any) -> Any:
    """A layout function: an integer-valued operand gives an integer-valued result."""

    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        out = fn(x, *args, **kwargs)
        if isinstance(x, Tensor) and x.int_op and isinstance(out, Tensor):
            return _as_int(out, x.int_op, x.idt)
        return out

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


@_keeps_int
def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    node = to_node(x)
    if axes is None:
        perm = tuple(reversed(range(node.ndim)))
    else:
        perm = tuple(int(a) % node.ndim if node.ndim else int(a) for a in axes)
        if sorted(perm) != list(range(node.ndim)):
            raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the axes "
                             f"of shape {fmt_shape(node.shape)} (at {user_location()})")
    if perm == tuple(range(node.ndim)):
        return _wrap(node)
    return _wrap(apply("transpose", node, axes=perm))


@_keeps_int
def matrix_transpose(x: Any) -> Tensor:
    """Swap the last two axes (``x.mT``)."""
    node = to_node(x)
    if node.ndim < 2:
        raise ValueError(f"matrix transpose needs at least 2 dims, got shape "
                         f"{fmt_shape(node.shape)}")
    return swapaxes(node, -1, -2)


@_keeps_int
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    node = to_node(x)
    perm = list(range(node.ndim))
    a, b = int(axis1) % node.ndim, int(axis2) % node.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(node, perm)


@_keeps_int
def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions (``np.moveaxis``)."""
    node = to_node(x)
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    src = [int(s) % node.ndim for s in src]
    dst = [int(d) % node.ndim for d in dst]
    order = [i for i in range(node.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(node, order)


@_keeps_int
def reshape(x: Any, shape: Any) -> Tensor:
    """Reshape; one ``-1`` is allowed when all dims are concrete."""
    node = to_node(x)
    new = (shape,) if isinstance(shape, (int, str, np.integer)) else tuple(shape)
    new = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in new)
    if -1 in new:
        known = [d for d in new if d != -1]
        if new.count(-1) > 1 or not builtins.all(isinstance(d, int) for d in node.shape + new):
            raise ShapeError(f"reshape: cannot infer -1 in {new} from shape "
                             f"{fmt_shape(node.shape)} (at {user_location()})")
        total = math.prod(node.shape)
        rest = math.prod(known)
        if rest == 0 or total % rest:
            raise ShapeError(f"reshape: cannot reshape {fmt_shape(node.shape)} into {new} "
                             f"(at {user_location()})")
        new = tuple(total // rest if d == -1 else d for d in new)
    if new == node.shape:
        return _wrap(node)
    return _wrap(apply("reshape", node, shape=new))


@_keeps_int
def ravel(x: Any) -> Tensor:
    """Flatten to 1-D (C order)."""
    return reshape(x, (-1,))


@_keeps_int
def atleast_1d(x: Any) -> Tensor:
    """A 1-D view of a scalar; other arrays unchanged."""
    node = to_node(x)
    return reshape(node, (1,)) if node.ndim == 0 else _wrap(node)


@_keeps_int
def atleast_2d(x: Any) -> Tensor:
    """``np.atleast_2d``: scalars become (1, 1), vectors (1, n)."""
    node = to_node(x)
    return reshape(node, (1,) * (2 - node.ndim) + node.shape) if node.ndim < 2 else _wrap(node)


@_keeps_int
def broadcast_to(x: Any, shape: Sequence[int | str]) -> Tensor:
    """Broadcast to ``shape`` (NumPy rules)."""
    node = to_node(x)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
    shape = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape)
    if shape == node.shape:
        return _wrap(node)
    return _wrap(apply("broadcast_to", node, shape=shape))


@_keeps_int
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis`` (positions in the result, like NumPy)."""
    node = to_node(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return _wrap(apply("expand_dims", node,
                       axis=normalize_axis(axes, node.ndim + len(axes), "expand_dims")))


@_keeps_int
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    node = to_node(x)
    axes = ([i for i, d in enumerate(node.shape) if d == 1] if axis is None
            else _axis(axis, node.ndim, "squeeze"))
    if builtins.any(node.shape[a] != 1 for a in axes):
        raise ShapeError(f"squeeze: axis {axis} of shape {fmt_shape(node.shape)} is not 1 "
                         f"(at {user_location()})")
    return reshape(node, tuple(d for i, d in enumerate(node.shape) if i not in axes))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """A constant 0 broadcast to the shape of ``x``."""
    return full_like(x, 0.0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """A constant 1 broadcast to the shape of ``x``."""
    return full_like(x, 1.0, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A constant ``fill_value`` broadcast to the shape of ``x``."""
    node = to_node(x)
    dt = node.dtype if dtype is None else np.dtype(dtype).name
    if dtype is None and isinstance(x, Tensor) and x.int_op:
        dt = x.idt
    if dt in ("int32", "int64"):
        return _as_int(broadcast_to(constant_node(float(int(fill_value)), "float64"),
                                    node.shape), f"np.full_like(dtype={dt})", dt)
    if dt not in FLOAT_DTYPES + ("bool",):
        raise unsupported(f"an array of dtype {dt}", "eqsat-tensor computes in float32, "
                                                     "float64 and bool")
    value = bool(fill_value) if dt == "bool" else float(fill_value)
    return broadcast_to(constant_node(value, dt), node.shape)
