"""Reductions (``sum``, ``mean``, ``var`` with ``ddof``, ``any``/``all``, the NaN-ignoring
``nansum``/``nanmean``, ``average`` with weights) and ``matmul``, composed from the IR's
reduction and contraction ops with NumPy's results on bool and integer operands.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from ..errors import ShapeError
from ..ir import Node, apply, fmt_shape
from .elementwise import (
    _truth,
    cast,
    divide,
    equal,
    greater,
    isnan,
    logical_not,
    multiply,
    sqrt,
    square,
    subtract,
    where,
)
from .layout import broadcast_to, reshape
from .location import user_location
from .operands import (
    _as_float,
    _as_int,
    _axis,
    _concrete,
    _is_float_value,
    _operands,
    _wrap,
    fixed_width,
    int_dtype,
    matmul_int32,
    static_int,
    to_node,
)
from .tensor import Tensor

# -- reductions ---------------------------------------------------------------------------------


def _reduction(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        node = to_node(x)
        int_op = x.int_op if isinstance(x, Tensor) else None
        idt = x.idt if int_op and op in ("max", "min") else "int64"  # sum(int32) is int64
        if node.dtype == "bool":
            if op in ("sum", "prod"):
                int_op = f"np.{op} of a bool array"
            elif op in ("max", "min"):  # NumPy: the max of bools is any, the min all
                if 0 in _axis_sizes(node, axis, op):
                    raise ValueError(f"zero-size array to reduction operation {op}imum "
                                     "which has no identity")
                return (any if op == "max" else all)(x, axis=axis, keepdims=keepdims)
            node = apply("cast", node, dtype="float64")
        out = _wrap(apply(op, node, axis=_axis(axis, node.ndim, op), keepdims=bool(keepdims)))
        if not int_op or op in ("mean", "logsumexp"):
            return out
        return _as_int(_wrap(fixed_width(out.node, idt, grows=op in ("sum", "prod"))), int_op,
                       idt)

    fn.__name__ = op
    fn.__doc__ = f"``{op}`` over ``axis`` (an int, a tuple, or None for all) with ``keepdims``."
    return fn


def _axis_sizes(node: Node, axis: Any, what: str) -> tuple:
    return tuple(node.shape[a] for a in _axis(axis, node.ndim, what))


sum, mean, max, min = _reduction("sum"), _reduction("mean"), _reduction("max"), _reduction("min")
prod, logsumexp = _reduction("prod"), _reduction("logsumexp")


def _count(node: Node, axis: Any, what: str) -> int:
    axes = _axis(axis, node.ndim, what)
    return math.prod(_concrete(tuple(node.shape[a] for a in axes), what))


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Tensor:
    """Variance ``sum(square(x - mean(x))) / (N - ddof)`` (NumPy's ``ddof``, 0 default)."""
    node = to_node(x)
    centered = subtract(node, mean(node, axis=axis, keepdims=True))
    if not ddof:
        return mean(square(centered), axis=axis, keepdims=keepdims)
    n = _count(node, axis, "np.var")
    ddof = static_int(ddof, "ddof") if not isinstance(ddof, float) else ddof
    return divide(sum(square(centered), axis=axis, keepdims=keepdims),
                  float(builtins.max(n - ddof, 0)))  # NumPy: 0/0 is NaN for N <= ddof


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Tensor:
    """Standard deviation, ``sqrt(var(x, ddof=ddof))``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Peak to peak, ``max - min``."""
    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """True where some element along ``axis`` is nonzero (NaN counts as true)."""
    return greater(sum(_wrap(_truth(x)), axis=axis, keepdims=keepdims), 0.0)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """True where every element along ``axis`` is nonzero (true for an empty axis)."""
    return equal(sum(_wrap(_truth(logical_not(x))), axis=axis, keepdims=keepdims), 0.0)


def count_nonzero(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Number of nonzero elements along ``axis`` (NumPy's int64, held exactly as float64;
    usable in arithmetic, refused as a returned result)."""
    return _as_int(_nonzero_count(x, axis, keepdims), "np.count_nonzero")


def _nonzero_count(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return sum(_wrap(_truth(x)), axis=axis, keepdims=keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum treating NaN as zero."""
    node = to_node(x)
    return sum(where(isnan(node), 0.0, node), axis=axis, keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none, like NumPy)."""
    node = to_node(x)
    count = sum(_wrap(_truth(logical_not(isnan(node)))), axis=axis, keepdims=keepdims)
    return divide(nansum(node, axis=axis, keepdims=keepdims), cast(count, node.dtype))


def average(x: Any, axis: Any = None, weights: Any = None, keepdims: bool = False) -> Tensor:
    """``np.average``: the mean, or ``sum(w * x) / sum(w)`` with ``weights`` (1-D weights
    along a single ``axis``, or weights of the shape of ``x``)."""
    if weights is None:
        return mean(x, axis=axis, keepdims=keepdims)
    a, w = _operands(x, weights)
    if w.shape != a.shape:
        if axis is None or w.ndim != 1:
            raise ShapeError(f"np.average: weights of shape {fmt_shape(w.shape)} differ from "
                             f"the array's {fmt_shape(a.shape)}; give axis= for 1-D weights "
                             f"(at {user_location()})")
        ax = _axis(axis, a.ndim, "np.average")[0]
        w = reshape(w, tuple(-1 if i == ax else 1 for i in range(a.ndim))).node
    num = sum(multiply(a, w), axis=axis, keepdims=keepdims)
    den = sum(broadcast_to(w, a.shape) if w.shape != a.shape else w, axis=axis,
              keepdims=keepdims)
    return divide(num, den)


# -- linear algebra ---------------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy ``matmul`` semantics (1-D operands, batch broadcasting)."""
    if not _is_float_value(a) and not _is_float_value(b):
        x, y = (_as_float(n) for n in _operands(a, b))
        idt = int_dtype(a, b)
        out = matmul_int32(x, y) if idt == "int32" else fixed_width(apply("matmul", x, y), idt)
        return _as_int(_wrap(out), "np.matmul of integer values", idt)
    return _wrap(apply("matmul", *_operands(a, b)))
