"""``Tensor``: the user-facing symbolic value, for the builder and the NumPy tracer alike.

A Tensor wraps one IR ``Node``. Python operators, NumPy ufuncs (``__array_ufunc__``) and
NumPy functions (``__array_function__``) on it build nodes through the same functions in
``frontend.functions``, so a graph built with ``et.exp(x)`` and one traced from
``np.exp(x)`` are the very same hash-consed graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import Graph, Node, fmt_shape


class Tensor:
    """A symbolic array: a node of a graph under construction.

    Supports ``+ - * / ** @``, unary ``-``, ``abs()``, comparisons, ``.T``,
    ``.sum/.mean/.max/.min/.prod/.var/.std``, ``.reshape``, ``.transpose``, ``.astype``,
    ``x[None]``-style new axes, and NumPy functions applied to it (traced).
    """

    __slots__ = ("node",)
    __array_priority__ = 1000  # NumPy defers binary operators to us

    def __init__(self, node: Node) -> None:
        if not isinstance(node, Node):
            raise TypeError(f"Tensor wraps a Node, got {type(node).__name__}")
        self.node = node

    # -- introspection -----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.node.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.node.dtype)

    @property
    def ndim(self) -> int:
        return self.node.ndim

    @property
    def T(self) -> Tensor:
        return F.transpose(self)

    def __repr__(self) -> str:
        return f"Tensor({self.node.op}, shape={fmt_shape(self.shape)}, dtype={self.node.dtype})"

    def __str__(self) -> str:
        return str(Graph(self.node))

    def graph(self) -> Graph:
        """The graph whose single output is this tensor."""
        return Graph(self.node)

    # -- arithmetic ----------------------------------------------------------------------
    def __add__(self, o: Any) -> Tensor:
        return F.add(self, o)

    def __radd__(self, o: Any) -> Tensor:
        return F.add(o, self)

    def __sub__(self, o: Any) -> Tensor:
        return F.subtract(self, o)

    def __rsub__(self, o: Any) -> Tensor:
        return F.subtract(o, self)

    def __mul__(self, o: Any) -> Tensor:
        return F.multiply(self, o)

    def __rmul__(self, o: Any) -> Tensor:
        return F.multiply(o, self)

    def __truediv__(self, o: Any) -> Tensor:
        return F.divide(self, o)

    def __rtruediv__(self, o: Any) -> Tensor:
        return F.divide(o, self)

    def __pow__(self, o: Any) -> Tensor:
        return F.power(self, o)

    def __rpow__(self, o: Any) -> Tensor:
        return F.power(o, self)

    def __matmul__(self, o: Any) -> Tensor:
        return F.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Tensor:
        return F.matmul(o, self)

    def __neg__(self) -> Tensor:
        return F.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return F.abs(self)

    def __lt__(self, o: Any) -> Tensor:
        return F.less(self, o)

    def __le__(self, o: Any) -> Tensor:
        return F.less_equal(self, o)

    def __gt__(self, o: Any) -> Tensor:
        return F.greater(self, o)

    def __ge__(self, o: Any) -> Tensor:
        return F.greater_equal(self, o)

    def __eq__(self, o: Any) -> Tensor:  # type: ignore[override]
        return F.equal(self, o)

    def __ne__(self, o: Any) -> Tensor:  # type: ignore[override]
        return F.not_equal(self, o)

    __hash__ = None  # type: ignore[assignment]  # like ndarray: == builds a node

    # -- methods -------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.prod(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.var(self, axis=axis, keepdims=keepdims)

    def std(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.std(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return F.transpose(self, axes or None)

    def astype(self, dtype: Any) -> Tensor:
        return F.cast(self, dtype)

    def __getitem__(self, key: Any) -> Tensor:
        return F.index(self, key)

    # -- things a static graph cannot do ---------------------------------------------------
    def __bool__(self) -> bool:
        raise UnsupportedOperation(
            "bool() of a traced value: data-dependent Python control flow (if/while/and/or on "
            "an array) cannot be traced into a static graph; use np.where(cond, a, b) instead")

    def __float__(self) -> float:
        raise UnsupportedOperation("float() of a traced value: the value is not known while "
                                   "tracing; keep it as an array")

    def __len__(self) -> int:
        if not self.shape or not isinstance(self.shape[0], int):
            raise UnsupportedOperation(f"len() of a tensor of shape {fmt_shape(self.shape)}")
        return self.shape[0]

    def __iter__(self):
        raise UnsupportedOperation("iterating over a traced array is not supported; use "
                                   "vectorized NumPy operations")

    # -- NumPy protocols -------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        what = (f"symbolic input {self.node.name!r}" if self.node.op == "input"
                else f"symbolic value {self.node.op}(...)")
        raise UnsupportedOperation(
            f"a traced value ({what}, shape {fmt_shape(self.shape)}) was converted to a NumPy "
            "array (np.asarray / a function without __array_function__ support), but it has "
            "no value: it is a placeholder in a graph. Pass NumPy arrays to @et.jit "
            "functions, and run builder expressions with et.compile(graph)(arrays)")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from .numpy_dispatch import dispatch_ufunc

        return dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Sequence[Any], kwargs: dict) -> Any:
        from .numpy_dispatch import dispatch_function

        return dispatch_function(func, args, kwargs)


def as_graph(obj: Any, inputs: Sequence[Any] | None = None) -> Graph:
    """A ``Graph`` from a Graph, a Tensor, a Node, or a list/tuple of Tensors/Nodes."""
    if isinstance(obj, Graph):
        return obj
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    nodes = [_as_node(o) for o in items]
    return Graph(nodes, None if inputs is None else [_as_node(i) for i in inputs])


def _as_node(obj: Any) -> Node:
    if isinstance(obj, Tensor):
        return obj.node
    if isinstance(obj, Node):
        return obj
    raise TypeError(f"expected a Tensor or Node, got {type(obj).__name__}")


from . import functions as F  # noqa: E402  (functions builds Tensors; imported after the class)
