"""Nodes and graphs: immutable, hash-consed ``Node``s built with ``apply``, and ``Graph``.

Nodes are hash-consed: building the same op on the same inputs with the same attributes
returns the very same ``Node`` object, so a shared sub-expression is one node and node
identity is structural equality. Nothing here recurses, so 10,000-node chains are fine.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from itertools import count
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from .ops import OPS
from .shapes import (
    DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    Dim,
    Shape,
    _ShapeMismatch,
    fmt_shape,
    user_location,
)
from .spec import OpSpec
from .text import graph_to_dot, graph_to_text
from .values import ArrayValue, _attr_key

# ---------------------------------------------------------------------------------------
# Nodes.

_uids = count()
_TABLE: weakref.WeakValueDictionary[tuple, Node] = weakref.WeakValueDictionary()
_TABLE_LOCK = threading.Lock()


class Node:
    """One immutable, hash-consed op application.

    ``op`` names an entry of ``OPS``; ``inputs`` are Nodes; ``attrs`` is a tuple of
    ``(name, value)`` pairs sorted by name; ``shape`` and ``dtype`` are inferred at build
    time. Two structurally equal nodes are the same object, so ``is`` and ``==`` agree.
    Build nodes with ``apply``, ``input_node`` and ``constant_node``.
    """

    __slots__ = ("op", "inputs", "attrs", "shape", "dtype", "uid", "depth", "__weakref__")

    op: str
    inputs: tuple[Node, ...]
    attrs: tuple[tuple[str, Any], ...]
    shape: Shape
    dtype: str
    uid: int
    depth: int

    def __new__(cls, op: str, inputs: tuple[Node, ...], attrs: tuple[tuple[str, Any], ...],
                shape: Shape, dtype: str) -> Node:
        # shape and dtype are part of a leaf's identity: input "x" of shape (3,) is not
        # input "x" of shape (), and the float32 constant 1 is not the float64 one
        key = (op, tuple(i.uid for i in inputs), tuple((k, _attr_key(v)) for k, v in attrs),
               tuple(shape), dtype)
        node = _TABLE.get(key)
        if node is not None:
            return node
        node = object.__new__(cls)
        object.__setattr__(node, "op", op)
        object.__setattr__(node, "inputs", inputs)
        object.__setattr__(node, "attrs", attrs)
        object.__setattr__(node, "shape", tuple(shape))
        object.__setattr__(node, "dtype", dtype)
        object.__setattr__(node, "uid", next(_uids))
        object.__setattr__(node, "depth", 1 + max((i.depth for i in inputs), default=0))
        with _TABLE_LOCK:  # two threads building the same node get the same object
            existing = _TABLE.get(key)
            if existing is not None:
                return existing
            _TABLE[key] = node
        return node

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Node is immutable")

    def __reduce__(self):  # pickling rebuilds through the hash-consing table
        # a flat node list, not nested inputs: a deep chain must not recurse per node
        return (_rebuild_node, (_flatten([self]),))

    @property
    def spec(self) -> OpSpec:
        return OPS[self.op]

    def attr(self, name: str, default: Any = None) -> Any:
        """Value of attribute ``name`` (or ``default``)."""
        for k, v in self.attrs:
            if k == name:
                return v
        return default

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str | None:
        """The input name of an ``input`` node, else None."""
        return self.attr("name") if self.op == "input" else None

    @property
    def value(self) -> Any:
        """The value of a ``constant`` node: a float, or a read-only ndarray."""
        v = self.attr("value")
        return v.array if isinstance(v, ArrayValue) else v

    def __repr__(self) -> str:
        if self.op == "input":
            return f"Node(input {self.name}: {self.dtype}{fmt_shape(self.shape)})"
        if self.op == "constant":
            return f"Node(constant {self.attr('value')!r}: {self.dtype})"
        return f"Node({self.op} #{self.uid}: {self.dtype}{fmt_shape(self.shape)})"


def input_node(name: str, shape: Sequence[Dim] = (), dtype: str = "float64") -> Node:
    """An input placeholder with a name, a shape (ints or symbolic names) and a dtype."""
    dtype = np.dtype(dtype).name if dtype != "bool" else "bool"
    if dtype not in DTYPES:
        raise DTypeError(f"input {name!r}: dtype {dtype} is not supported; use float32, "
                         "float64, bool, int32 or int64")
    for d in shape:
        if not (isinstance(d, str) and d.isidentifier()) and not (isinstance(d, int) and d >= 0):
            raise ShapeError(f"input {name!r}: bad dimension {d!r} in shape {tuple(shape)}; "
                             "use non-negative ints or identifier names such as 'n'")
    return Node("input", (), (("name", name),), tuple(shape), dtype)


def constant_node(value: Any, dtype: str | None = None) -> Node:
    """A scalar or array constant. ``dtype`` defaults to float64 (bool arrays stay bool)."""
    arr = np.asarray(value)
    if dtype is None:
        dtype = "bool" if arr.dtype == np.bool_ else (
            arr.dtype.name if arr.dtype.name in FLOAT_DTYPES else "float64")
    if dtype not in DTYPES:
        raise DTypeError(f"constant of dtype {dtype} is not supported; use float32 or float64")
    if arr.ndim == 0:
        # typed as NumPy types it: a Python float in a float32 graph is rounded to float32
        # (1e308 is inf, 5e-324 is 0) before any guard or analysis looks at it
        with np.errstate(over="ignore"):
            v = bool(arr) if dtype == "bool" else (
                int(arr) if dtype == "int64" else float(arr.astype(dtype)))
        return Node("constant", (), (("value", v),), (), dtype)
    return Node("constant", (), (("value", ArrayValue(arr.astype(dtype))),), arr.shape, dtype)


def normalize_axis(axis: Any, ndim: int, op: str = "reduction") -> tuple[int, ...]:
    """Turn ``None``, an int or a tuple of ints into a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ShapeError(f"{op}: axis {axis!r} is out of range for an array of rank {ndim} "
                             f"(at {user_location()})")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis!r} (at {user_location()})")
    return tuple(sorted(out))


def apply(op: str, *inputs: Node, **attrs: Any) -> Node:
    """Build (or find) the node ``op(*inputs, **attrs)``, inferring shape and dtype.

    Raises ``ShapeError``/``DTypeError`` naming the op, the operand shapes/dtypes and the
    user's source line. Attribute values must already be normalized (see
    ``normalize_axis``); the frontend does that.
    """
    spec = OPS.get(op)
    if spec is None:
        raise KeyError(f"unknown op {op!r}")
    if len(inputs) != spec.arity:
        raise TypeError(f"{op} takes {spec.arity} inputs, got {len(inputs)}")
    if set(attrs) != set(spec.attrs):
        raise TypeError(f"{op} takes attributes {spec.attrs}, got {tuple(attrs)}")
    dtypes = [i.dtype for i in inputs]
    float_operands = dtypes[1:] if op == "where" else dtypes
    if (op != "cast" and spec.kind not in ("layout", "gather") and "bool" in float_operands
            and "comparison" not in spec.tags):
        raise DTypeError(f"{op}: operand dtypes {tuple(dtypes)}: {op} needs float32/float64 "
                         f"operands, not bool (at {user_location()}); use where() or cast()")
    if op != "cast" and spec.kind not in ("layout", "gather") and any(
            d in INT_DTYPES for d in dtypes):
        raise DTypeError(f"{op}: operand dtypes {tuple(dtypes)}: integer values enter a graph "
                         f"through cast() to float64 (at {user_location()})")
    try:
        shape = spec.shape_rule([i.shape for i in inputs], attrs)
    except _ShapeMismatch as exc:
        shapes = ", ".join(fmt_shape(i.shape) for i in inputs)
        raise ShapeError(f"{op}: operand shapes {shapes}: {exc} (at {user_location()})") from None
    dtype = spec.dtype_rule(dtypes, attrs)
    return Node(op, tuple(inputs), tuple(sorted(attrs.items())), shape, dtype)


def _flatten(roots: Sequence[Node]) -> list[tuple]:
    """The nodes under ``roots`` in topological order as (op, input positions, attrs,
    shape, dtype) rows: what pickle and copy store (no per-node recursion)."""
    order = topological_order(roots)
    index = {n.uid: k for k, n in enumerate(order)}
    return [(n.op, tuple(index[i.uid] for i in n.inputs), n.attrs, n.shape, n.dtype)
            for n in order]


def _rebuild(rows: Sequence[tuple]) -> list[Node]:
    nodes: list[Node] = []
    for op, ins, attrs, shape, dtype in rows:
        nodes.append(Node(op, tuple(nodes[i] for i in ins), attrs, shape, dtype))
    return nodes


def _rebuild_node(rows: Sequence[tuple]) -> Node:
    """Unpickle a Node (see ``Node.__reduce__``): the last row is the node."""
    return _rebuild(rows)[-1]


def _rebuild_graph(rows: Sequence[tuple], outputs: Sequence[int],
                   inputs: Sequence[Any]) -> Graph:
    """Unpickle a Graph: ``inputs`` rows of unused inputs are rebuilt on their own."""
    nodes = _rebuild(rows)
    ins = [nodes[i] if isinstance(i, int) else _rebuild([i])[0] for i in inputs]
    return Graph([nodes[o] for o in outputs], ins)


# ---------------------------------------------------------------------------------------
# Graphs.


def topological_order(outputs: Iterable[Node]) -> list[Node]:
    """All nodes reachable from ``outputs``, each after its inputs (iterative, no recursion)."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in outputs:
        if root.uid in seen:
            continue
        stack: list[tuple[Node, int]] = [(root, 0)]
        seen.add(root.uid)
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i]
                if child.uid not in seen:
                    seen.add(child.uid)
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


class Graph:
    """An immutable computation: output nodes plus the ordered input placeholders.

    ``inputs`` fixes the positional calling convention of compiled graphs. It defaults to
    the inputs in order of first appearance; it may list inputs the outputs no longer use
    (an optimization can remove ``x`` from ``x - x``), so callers keep their signature.
    """

    __slots__ = ("outputs", "inputs", "_order", "_fingerprint")

    def __init__(self, outputs: Node | Sequence[Node], inputs: Sequence[Node] | None = None):
        outs = (outputs,) if isinstance(outputs, Node) else tuple(outputs)
        if not outs or not all(isinstance(o, Node) for o in outs):
            raise TypeError("Graph needs one or more output Nodes")
        self.outputs: tuple[Node, ...] = outs
        self._order: list[Node] | None = None
        self._fingerprint: str | None = None
        used = [n for n in self.nodes() if n.op == "input"]
        if inputs is None:
            inputs = used
        inputs = tuple(inputs)
        names = [i.name for i in inputs]
        if any(i.op != "input" for i in inputs) or len(set(names)) != len(names):
            raise ValueError(f"Graph inputs must be distinct input nodes, got {names}")
        missing = [n.name for n in used if n not in inputs]
        if missing:
            raise ValueError(f"Graph outputs use inputs not listed in inputs: {missing}")
        by_name = {n.name: n for n in used}
        clash = [i.name for i in inputs if i.name in by_name and by_name[i.name] is not i]
        if clash or len({n.name for n in used}) != len(used):
            raise ValueError(f"two different inputs share a name: {clash or sorted(by_name)}")
        self.inputs: tuple[Node, ...] = inputs

    def nodes(self) -> list[Node]:
        """All nodes in topological order (inputs before users); computed once."""
        if self._order is None:
            self._order = topological_order(self.outputs)
        return self._order

    def __len__(self) -> int:
        return len(self.nodes())

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes())

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    def users(self) -> dict[int, int]:
        """Number of uses of each node (by uid) inside the graph, outputs counted once each."""
        uses: dict[int, int] = {}
        for n in self.nodes():
            for i in n.inputs:
                uses[i.uid] = uses.get(i.uid, 0) + 1
        for o in self.outputs:
            uses[o.uid] = uses.get(o.uid, 0) + 1
        return uses

    def fingerprint(self) -> str:
        """A stable content hash (sha256 hex) of the graph: same graph, same string,
        in any process. Cache keys are built from it."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            index: dict[int, int] = {}
            for k, n in enumerate(self.nodes()):
                index[n.uid] = k
                attrs = [(a, v.digest if isinstance(v, ArrayValue) else
                          (struct.pack("<d", v).hex() if isinstance(v, float) else v))
                         for a, v in n.attrs]
                h.update(repr((n.op, [index[i.uid] for i in n.inputs], attrs, n.shape,
                               n.dtype)).encode())
            h.update(repr(([index.get(i.uid, (i.name, i.shape, i.dtype)) for i in self.inputs],
                           [index[o.uid] for o in self.outputs])).encode())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def __reduce__(self):  # a flat node list: deep graphs pickle without recursion
        rows = _flatten(self.outputs)
        index = {n.uid: k for k, n in enumerate(topological_order(self.outputs))}
        inputs = [index[i.uid] if i.uid in index else
                  (i.op, (), i.attrs, i.shape, i.dtype) for i in self.inputs]
        return (_rebuild_graph, (rows, [index[o.uid] for o in self.outputs], inputs))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Graph) and self.outputs == other.outputs
                and self.inputs == other.inputs)

    def __hash__(self) -> int:
        return hash((self.outputs, self.inputs))

    def __str__(self) -> str:
        return graph_to_text(self)

    def __repr__(self) -> str:
        return (f"Graph({len(self)} nodes, inputs={list(self.input_names)}, "
                f"outputs={len(self.outputs)})")

    def to_dot(self, **kwargs: Any) -> str:
        """Graphviz DOT source of this graph (see ``text.graph_to_dot``)."""
        return graph_to_dot(self, **kwargs)

    def op_counts(self) -> dict[str, int]:
        """How many nodes of each op the graph holds."""
        counts: dict[str, int] = {}
        for n in self.nodes():
            counts[n.op] = counts.get(n.op, 0) + 1
        return counts
