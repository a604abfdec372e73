"""Scans and selections along one axis: ``cumsum``, ``cumprod``, ``sort``, ``argmax``,
``argmin`` (``axis=None`` works on the flattened array, as NumPy).
"""

from __future__ import annotations

from typing import Any

from ..ir import Node, apply
from .elementwise import not_equal
from .layout import ravel, reshape
from .location import unsupported
from .operands import _as_int, _axis, _wrap, fixed_width, static_int, to_node
from .tensor import Tensor

# -- scans and selections (scans) ------------------------------------------------------------


def _along(x: Any, axis: Any, what: str, scalar_ok: bool = True
           ) -> tuple[Node, int, Tensor | None]:
    """The operand node and the one axis of a scan; ``axis=None`` flattens (NumPy)."""
    t = x if isinstance(x, Tensor) else None
    node = to_node(x)
    if node.ndim == 0 and (scalar_ok or axis is None):  # NumPy: one element
        node = reshape(node, (1,)).node
    if axis is None:
        node = ravel(node).node if node.ndim != 1 else node
        return node, 0, t
    (ax,) = _axis(static_int(axis, f"{what}(axis=...)"), node.ndim, what)
    return node, ax, t


def _int_scan_operand(node: Node, t: Tensor | None, what: str) -> tuple[Node, str | None]:
    """A bool operand is counted as integers (NumPy: cumsum of bool is int64)."""
    if node.dtype == "bool":
        return apply("cast", node, dtype="float64"), f"{what} of a bool array"
    return node, (t.int_op if t is not None and t.int_op else None)


def _scan(op: str):
    def fn(x: Any, axis: Any = None) -> Tensor:
        node, ax, t = _along(x, axis, f"np.{op}", scalar_ok=op != "sort")
        if op == "sort" and node.dtype == "bool":  # sorted bools stay bool
            return not_equal(apply("sort", apply("cast", node, dtype="float64"),
                                   axis=(ax,)), 0.0)
        node, int_op = _int_scan_operand(node, t, f"np.{op}")
        out = _wrap(apply(op, node, axis=(ax,)))
        # NumPy 2: cumsum/cumprod of int32 is int64; sort keeps the dtype
        idt = t.idt if (op == "sort" and t is not None and t.int_op) else "int64"
        if not int_op:
            return out
        return _as_int(_wrap(fixed_width(out.node, idt, grows=op != "sort")), int_op, idt)

    fn.__name__ = op
    fn.__doc__ = (f"``np.{op}`` along ``axis`` (``None``: of the flattened array)"
                  + (", NaN last." if op == "sort" else "."))
    return fn


cumsum, cumprod, sort = _scan("cumsum"), _scan("cumprod"), _scan("sort")


def _select(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        src = to_node(x)
        node, ax, t = _along(x, axis, f"np.{op}")
        if node.dtype == "bool":
            node = apply("cast", node, dtype="float64")
        out = _wrap(apply(op, node, axis=(ax,), keepdims=bool(keepdims) and axis is not None))
        if keepdims and axis is None:  # NumPy: shape (1, ..., 1) of the operand's rank
            out = reshape(out, (1,) * src.ndim)
        elif src.ndim == 0 and out.node.ndim:  # argmax of a 0-d value along axis 0
            out = reshape(out, ())
        return _as_int(out, f"np.{op}")

    fn.__name__ = op
    fn.__doc__ = (f"``np.{op}``: the index (int64) of the first {op[3:]}imum along ``axis`` "
                  "(``None``: of the flattened array); a NaN wins, the first one, like NumPy.")
    return fn


argmax, argmin = _select("argmax"), _select("argmin")


def argsort(x: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
            stable: Any = None) -> Tensor:
    """``np.argsort`` along ``axis`` (``None``: of the flattened array): the stable
    permutation (NaN last) as int64; NumPy's default sort kind is not stable, so tied
    values may be ordered differently from NumPy's ``quicksort``."""
    if order is not None:
        raise unsupported("np.argsort(order=...)", "structured arrays are not traced")
    node, ax, _ = _along(x, axis, "np.argsort", scalar_ok=False)
    if node.dtype == "bool":
        node = apply("cast", node, dtype="float64")
    out = apply("cast", apply("argsort", node, axis=(ax,)), dtype="float64")
    return _as_int(_wrap(out), "np.argsort")
