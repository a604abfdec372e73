"""``Tensor``: the user-facing symbolic value, for the builder and the NumPy tracer alike.

A Tensor wraps one IR ``Node``. This module holds only the class's data, introspection and
the refusals of what a static graph cannot do; the operators, the ``ndarray`` methods and
the NumPy protocols are installed by ``frontend.methods`` (like JAX installs its array
methods), so that ``functions`` can build Tensors without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir import Graph, Node, fmt_shape
from .location import unsupported


class Tensor:
    """A symbolic array: a node of a graph under construction.

    Supports ``+ - * / ** @``, unary ``-``, ``abs()``, comparisons, ``& | ~ ^`` on bool
    values, the ``ndarray`` methods and attributes that have a traced counterpart
    (``.T``, ``.sum``, ``.clip``, ``.astype``, ...; the others raise
    ``UnsupportedOperation`` naming the method), indexing (basic indexing as a view, integer
    arrays as a gather), and NumPy / SciPy functions applied to it (traced).
    """

    __slots__ = ("node", "weak", "int_op", "idt", "owned", "views", "derive", "__weakref__")
    __array_priority__ = 1000  # NumPy defers binary operators to us

    def __init__(self, node: Node, weak: bool = False, int_op: str | None = None,
                 idt: str = "int64") -> None:
        """``weak``: the value stands for a Python float (a float64 input): beside a float32
        array it is rounded to float32 first, like NumPy 2's weak scalars. ``int_op``: the
        value is what NumPy computes as int64 (``np.sum`` of a bool array, ...), held exactly
        in a float64 node (exact up to 2**53); it names the operation. ``idt``: NumPy's
        integer dtype of such a value (``int32``/``int64``); a returned integer value
        becomes a ``cast`` to it, so the graph's result has NumPy's dtype."""
        if not isinstance(node, Node):
            raise TypeError(f"Tensor wraps a Node, got {type(node).__name__}")
        self.node = node
        self.weak = weak
        self.int_op = int_op
        self.idt = idt
        # frontend.assign: an array the traced function allocated; the views taken of this
        # one (weak references); for a view, how to take it again from its array
        self.owned = False
        self.views: list | None = None
        self.derive: Any = None

    # -- introspection -----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.node.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.idt) if self.int_op else np.dtype(self.node.dtype)

    @property
    def ndim(self) -> int:
        return self.node.ndim

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            if not isinstance(d, int):
                raise unsupported(f".size of a tensor of symbolic shape "
                                  f"{fmt_shape(self.shape)}")
            n *= d
        return n

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    def __repr__(self) -> str:
        return f"Tensor({self.node.op}, shape={fmt_shape(self.shape)}, dtype={self.node.dtype})"

    def __str__(self) -> str:
        return str(Graph(self.node))

    def graph(self) -> Graph:
        """The graph whose single output is this tensor."""
        return Graph(self.node)

    __hash__ = None  # type: ignore[assignment]  # like ndarray: == builds a node

    # -- things a static graph cannot do ---------------------------------------------------
    def __bool__(self) -> bool:
        raise unsupported(
            "bool() of a traced value", "data-dependent Python control flow (if/while/and/or "
            "on an array) cannot be traced into a static graph; use np.where(cond, a, b), or "
            "pass the argument as static (et.jit(f, static_argnames=...))")

    def __float__(self) -> float:
        raise unsupported("float() of a traced value", "the value is not known while "
                          "tracing; keep it as an array")

    def __int__(self) -> int:
        raise unsupported("int() of a traced value", "the value is not known while tracing; "
                          "pass the argument as static (et.jit(f, static_argnames=...))")

    __index__ = __int__

    def __complex__(self) -> complex:
        raise unsupported("complex() of a traced value", "eqsat-tensor computes in real "
                          "float32/float64")

    def __len__(self) -> int:
        if not self.shape or not isinstance(self.shape[0], int):
            raise unsupported(f"len() of a tensor of shape {fmt_shape(self.shape)}")
        return self.shape[0]

    def __iter__(self):
        raise unsupported("iterating over a traced array", "use vectorized NumPy operations "
                          "(loops over rows need indexing, which the IR cannot do yet)")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        what = (f"symbolic input {self.node.name!r}" if self.node.op == "input"
                else f"symbolic value {self.node.op}(...)")
        if _assigns_into_subscript():
            raise unsupported(
                f"assigning a traced value ({what}) into a NumPy array made outside the "
                "traced function (it holds numbers, not graph values)",
                "make the array inside the function (np.zeros(shape), np.zeros_like(x), "
                "x.copy()): assignment into those is traced")
        raise unsupported(
            f"converting a traced value ({what}, shape {fmt_shape(self.shape)}) to a NumPy "
            "array (np.asarray / np.array / a function without __array_function__ support)",
            "it has no value: it is a placeholder in a graph. Pass NumPy arrays to @et.jit "
            "functions, and run builder expressions with et.compile(graph)(arrays)")


def _assigns_into_subscript() -> bool:
    """The user's line being run is an item assignment (``a[...] = ...``): NumPy asks a
    traced value for its numbers when it is assigned into a NumPy array."""
    import linecache
    import re

    from .location import user_frame

    frame, _ = user_frame()
    if frame is None:
        return False
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    return re.search(r"\]\s*=(?!=)", line) is not None


def as_graph(obj: Any, inputs: Sequence[Any] | None = None) -> Graph:
    """A ``Graph`` from a Graph, a Tensor, a Node, or a list/tuple of Tensors/Nodes."""
    if isinstance(obj, Graph):
        return obj
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    nodes = [_as_node(o) for o in items]
    return Graph(nodes, None if inputs is None else [_as_node(i) for i in inputs])


def _as_node(obj: Any) -> Node:
    if isinstance(obj, Tensor):
        if obj.int_op:  # an integer value: the graph's result has its integer dtype
            from ..ir import apply

            node = obj.node
            if node.op == "cast" and node.inputs[0].dtype == obj.idt:
                return node.inputs[0]
            return apply("cast", node, dtype=obj.idt)
        return obj.node
    if isinstance(obj, Node):
        return obj
    raise TypeError(f"expected a Tensor or Node, got {type(obj).__name__}")
