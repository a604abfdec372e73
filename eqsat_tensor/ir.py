"""The graph IR: immutable, hash-consed ``Node``s, ``Graph``, and the ops table.

The ops table (``OPS``) is the single source of truth for every op: its name, arity,
attributes, kind, shape rule, dtype rule, NumPy reference implementation, relative cost
and property tags. The tracer, the rule checker, the e-graph bridge, the cost model and
every backend read it; no other module lists ops.

Nodes are hash-consed: building the same op on the same inputs with the same attributes
returns the very same ``Node`` object, so a shared sub-expression is one node and node
identity is structural equality. Nothing here recurses, so 10,000-node chains are fine.

This module imports nothing from the rest of the package but ``errors``.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np

from .errors import DTypeError, ShapeError

Dim = int | str  # a concrete extent or a symbolic dimension name such as "n"
Shape = tuple[Dim, ...]

FLOAT_DTYPES = ("float32", "float64")
DTYPES = FLOAT_DTYPES + ("bool",)

# ---------------------------------------------------------------------------------------
# Where in the user's code: used by errors raised while building graphs.

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
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


# ---------------------------------------------------------------------------------------
# NumPy reference implementations that are more than one NumPy call. They are the living
# definition of each op: obviously correct first, then stable where NumPy itself is.


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x), copy=False)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(np.zeros((), dtype=np.result_type(x)), x)


def _logsumexp(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _reduction(fn: Callable) -> Callable:
    def ref(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return fn(x, axis=axis, keepdims=keepdims)

    return ref


# ---------------------------------------------------------------------------------------
# The ops table.


@dataclass(frozen=True)
class OpSpec:
    """Everything the package knows about one op.

    ``arity`` is the number of tensor inputs; ``attrs`` the names of its static
    attributes; ``kind`` one of ``leaf``, ``elementwise``, ``reduction``, ``matmul``,
    ``layout``. ``reference(*arrays, **attrs)`` is the NumPy definition. ``cost`` is the
    relative cost per output element (calibrated, see ``cost.py``). ``symbol`` and
    ``precedence`` drive infix printing. ``tags`` hold properties such as
    ``commutative``, ``associative``, ``comparison``, ``differentiable``.
    """

    name: str
    arity: int
    kind: str
    shape_rule: Callable[[Sequence[Shape], dict], Shape]
    dtype_rule: Callable[[Sequence[str], dict], str]
    reference: Callable[..., Any] | None
    attrs: tuple[str, ...] = ()
    cost: float = 1.0
    symbol: str | None = None
    precedence: int = 100
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_elementwise(self) -> bool:
        return self.kind == "elementwise"


OPS: dict[str, OpSpec] = {}


def _op(name: str, arity: int, kind: str, reference: Callable | None, *, shape=None, dtype=None,
        attrs: tuple[str, ...] = (), cost: float = 1.0, symbol: str | None = None,
        precedence: int = 100, tags: Iterable[str] = ()) -> None:
    shape_rule = shape or {"elementwise": _elementwise_shape, "reduction": _reduce_shape,
                           "leaf": _leaf_shape}[kind]
    OPS[name] = OpSpec(name, arity, kind, shape_rule, dtype or _float_dtype, reference, attrs,
                       cost, symbol, precedence, frozenset(tags))


_op("input", 0, "leaf", None, attrs=("name",), cost=0.0)
_op("constant", 0, "leaf", None, attrs=("value",), cost=0.0)

# Binary arithmetic. Costs are per element, relative to add (see cost.py for calibration).
_D = ("differentiable",)
_op("add", 2, "elementwise", np.add, symbol="+", precedence=10,
    tags=("commutative", "associative") + _D)
_op("sub", 2, "elementwise", np.subtract, symbol="-", precedence=10, tags=_D)
_op("mul", 2, "elementwise", np.multiply, symbol="*", precedence=20,
    tags=("commutative", "associative") + _D)
_op("div", 2, "elementwise", np.divide, symbol="/", precedence=20, cost=4.0, tags=_D)
_op("pow", 2, "elementwise", np.power, symbol="**", precedence=40, cost=20.0, tags=_D)
_op("maximum", 2, "elementwise", np.maximum, tags=("commutative", "associative") + _D)
_op("minimum", 2, "elementwise", np.minimum, tags=("commutative", "associative") + _D)
_op("hypot", 2, "elementwise", np.hypot, cost=8.0, tags=("commutative",) + _D)
_op("logaddexp", 2, "elementwise", np.logaddexp, cost=30.0, tags=("commutative",) + _D)
_op("arctan2", 2, "elementwise", np.arctan2, cost=25.0, tags=_D)

# Unary elementwise.
_op("neg", 1, "elementwise", np.negative, symbol="-", precedence=30, tags=_D)
for _name, _ref, _cost in [
    ("exp", np.exp, 10.0), ("log", np.log, 10.0), ("log1p", np.log1p, 12.0),
    ("expm1", np.expm1, 12.0), ("sqrt", np.sqrt, 4.0), ("abs", np.abs, 1.0),
    ("square", np.square, 1.0), ("reciprocal", lambda x: np.divide(1, x, dtype=x.dtype), 4.0),
    ("sin", np.sin, 15.0), ("cos", np.cos, 15.0), ("tan", np.tan, 20.0),
    ("tanh", np.tanh, 15.0), ("sinh", np.sinh, 15.0), ("cosh", np.cosh, 15.0),
    ("arcsin", np.arcsin, 20.0), ("arccos", np.arccos, 20.0), ("arctan", np.arctan, 20.0),
    ("cbrt", np.cbrt, 15.0), ("log2", np.log2, 10.0), ("log10", np.log10, 10.0),
    ("exp2", np.exp2, 10.0), ("sigmoid", _sigmoid, 12.0), ("softplus", _softplus, 22.0),
]:
    _op(_name, 1, "elementwise", _ref, cost=_cost, tags=_D)

# Comparisons (bool results) and selection.
for _name, _ref, _sym in [("less", np.less, "<"), ("less_equal", np.less_equal, "<="),
                          ("greater", np.greater, ">"), ("greater_equal", np.greater_equal, ">="),
                          ("equal", np.equal, "=="), ("not_equal", np.not_equal, "!=")]:
    _op(_name, 2, "elementwise", _ref, dtype=_compare_dtype, symbol=_sym, precedence=5,
        tags=("comparison",))
_op("where", 3, "elementwise", np.where, dtype=_where_dtype, tags=_D)
_op("cast", 1, "elementwise", lambda x, dtype: x.astype(dtype), dtype=_cast_dtype,
    attrs=("dtype",), cost=0.5, tags=_D)

# Reductions: ``axis`` is a sorted tuple of non-negative ints (all axes for None).
for _name, _ref, _cost in [("sum", _reduction(np.sum), 1.0), ("mean", _reduction(np.mean), 1.0),
                           ("max", _reduction(np.max), 1.0), ("min", _reduction(np.min), 1.0),
                           ("prod", _reduction(np.prod), 1.0), ("logsumexp", _logsumexp, 25.0)]:
    _op(_name, 1, "reduction", _ref, attrs=("axis", "keepdims"), cost=_cost, tags=_D)

_op("matmul", 2, "matmul", np.matmul, shape=_matmul_shape, symbol="@", precedence=20, cost=2.0,
    tags=_D)
_op("transpose", 1, "layout", lambda x, axes: np.transpose(x, axes), shape=_transpose_shape,
    dtype=_same_dtype, attrs=("axes",), cost=0.0, tags=_D)
_op("reshape", 1, "layout", lambda x, shape: np.reshape(x, shape), shape=_reshape_shape,
    dtype=_same_dtype, attrs=("shape",), cost=0.0, tags=_D)
_op("broadcast_to", 1, "layout", lambda x, shape: np.broadcast_to(x, shape),
    shape=_broadcast_to_shape, dtype=_same_dtype, attrs=("shape",), cost=0.0, tags=_D)
_op("expand_dims", 1, "layout", lambda x, axis: np.expand_dims(x, axis), shape=_expand_dims_shape,
    dtype=_same_dtype, attrs=("axis",), cost=0.0, tags=_D)

ELEMENTWISE_UNARY = tuple(n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 1
                          and not s.attrs)
ELEMENTWISE_BINARY = tuple(n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 2)
REDUCTIONS = tuple(n for n, s in OPS.items() if s.kind == "reduction")


# ---------------------------------------------------------------------------------------
# Constants: scalar values are Python floats; arrays are wrapped so they hash by content.


class ArrayValue:
    """A read-only array constant that hashes and compares by dtype, shape and bytes."""

    __slots__ = ("array", "digest")

    def __init__(self, array: np.ndarray) -> None:
        arr = np.array(array, copy=True)
        arr.setflags(write=False)
        self.array = arr
        h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
        self.digest = h.hexdigest()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrayValue) and other.digest == self.digest

    def __repr__(self) -> str:
        return f"array{fmt_shape(self.array.shape)}"


def _attr_key(value: Any) -> Any:
    """Hash-consing key of an attribute value: floats by bit pattern (-0.0 is not 0.0)."""
    if isinstance(value, float):
        return ("f", struct.pack("<d", value))
    return value


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
        raise DTypeError(f"input {name!r}: dtype {dtype} is not supported; use float32 or "
                         "float64 (cast integer data with .astype(np.float64))")
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
        v = bool(arr) if dtype == "bool" else float(arr)
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
    if (op != "cast" and spec.kind != "layout" and "bool" in float_operands
            and "comparison" not in spec.tags):
        raise DTypeError(f"{op}: operand dtypes {tuple(dtypes)}: {op} needs float32/float64 "
                         f"operands, not bool (at {user_location()}); use where() or cast()")
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
                   inputs: Sequence[tuple]) -> Graph:
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
        order = self.nodes()
        index = {n.uid: k for k, n in enumerate(order)}
        rows = _flatten(self.outputs)
        inputs = [index[i.uid] if i.uid in index else
                  (i.op, (), i.attrs, i.shape, i.dtype) for i in self.inputs]
        return (_rebuild_graph, (rows, [index[o.uid] for o in self.outputs], inputs))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Graph) and self.outputs == other.outputs
                and self.inputs == other.inputs)

    def __hash__(self) -> int:
        return hash((self.outputs, self.inputs))

    def __str__(self) -> str:
        from .printing import graph_to_text  # printing depends on ir, not the reverse

        return graph_to_text(self)

    def __repr__(self) -> str:
        return (f"Graph({len(self)} nodes, inputs={list(self.input_names)}, "
                f"outputs={len(self.outputs)})")

    def to_dot(self, **kwargs: Any) -> str:
        """Graphviz DOT source of this graph (see ``printing.graph_to_dot``)."""
        from .printing import graph_to_dot

        return graph_to_dot(self, **kwargs)

    def op_counts(self) -> dict[str, int]:
        """How many nodes of each op the graph holds."""
        counts: dict[str, int] = {}
        for n in self.nodes():
            counts[n.op] = counts.get(n.op, 0) + 1
        return counts
