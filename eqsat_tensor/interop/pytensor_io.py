"""PyTensor graphs to graphs (``pip install 'eqsat-tensor[pytensor]'``).

``from_pytensor(outputs)`` takes output variables (one or a list) or a ``FunctionGraph``
and maps:

- ``Elemwise`` by its scalar op: ``Add``/``Mul`` (n-ary), ``Sub``, ``TrueDiv``, ``Neg``,
  ``Pow``, ``Exp``, ``Log``, ``Log1p``, ``Expm1``, ``Sqrt``, ``Sqr``, ``Reciprocal``,
  ``Abs``, trig and hyperbolic functions, ``Sigmoid``, ``Softplus``, ``Log2``,
  ``Log10``, ``Exp2``, ``ScalarMaximum``/``Maximum``, ``ScalarMinimum``/``Minimum``,
  ``ArcTan2``, comparisons, ``Switch`` (``where``), ``Clip``, ``Sign``, ``Second``
  (fill), ``Identity``, float ``Cast``; ``Composite`` (fused) ops are inlined.
- ``CAReduce`` (``Sum``, ``Prod``, ``Max``, ``Min``) -> reductions; ``DimShuffle``
  (also ``ExpandDims``/``Squeeze``) -> ``reshape``/``transpose``/``expand_dims``;
  ``Reshape`` with a constant shape; ``Dot`` and ``Blockwise(Matmul)`` -> ``matmul``.
- Shape arithmetic (``Shape``, ``Shape_i``, ``Subtensor`` of a shape, casts of it...) is
  folded to constants with the op's own ``perform`` when the shapes are static, so
  ``pt.mean`` (``sum(x) / shape(x)[0]``) imports as a division by a number.

- PyMC's graphs: ``CheckParameterValue`` (a run-time check: its conditions become extra
  outputs, the value passes through, and ``ImportedGraph.compile`` raises PyMC's
  ``ParameterValueError`` where one is false), ``Alloc`` -> ``broadcast_to``,
  ``ScalarFromTensor``/``TensorFromScalar`` -> the value, ``All``/``Any``, ``AND``/``OR``/
  ``XOR``/``Invert``/``IsNan``/``IsInf``, bool operands of arithmetic, ``Softmax``/
  ``LogSoftmax``/``SoftmaxGrad``; ``MakeVector`` and ``Join`` (axis 0) of the values an
  output is made of (the gradient vector of ``model.dlogp()``): the pieces become outputs, and
  ``ImportedGraph`` concatenates them again; ``MakeVector`` of conditions feeding ``All``/
  ``Any`` folds into ``and``/``or``.
- ``Scan`` and ``OpFromGraph`` are rejected with their own message.

Root variables become inputs named after the variable (``x``; unnamed ones ``in0``...),
with their static shape (unknown dims become symbolic, ``x_0``) and dtype. Any op not
listed raises ``UnsupportedOperation`` naming every unsupported op found, each with how
many times it occurs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import (
    OPS,
    Graph,
    Node,
    apply,
    broadcast_shapes,
    constant_node,
    input_node,
    ops_named_in,
)
from ._optional import require
from .pytensor_assign import CLIENT_KINDS as _CLIENT_KINDS
from .pytensor_assign import SOLVE_KINDS as _SOLVE_KINDS
from .pytensor_assign import AssignOps, _is_shared, check_order
from .pytensor_assign import SameDims as _SameDims
from .pytensor_assign import core_kind as _core_kind
from .pytensor_graph import ImportedGraph, Piece

# PyTensor scalar Op class -> op, from the ops table's PyTensor names.
_SCALAR = {n: op for n, op in ops_named_in("pytensor").items()
           if OPS[op].kind != "layout" and OPS[op].kind != "gather"}
_REDUCE = {"Add": "sum", "add": "sum", "Mul": "prod", "mul": "prod",
           "ScalarMaximum": "max", "Maximum": "max", "ScalarMinimum": "min", "Minimum": "min"}



def _logical(fn_name: str) -> Any:
    def fn(*args: Node) -> Node:
        from ..frontend import functions as F

        return getattr(F, fn_name)(*args).node

    return fn


# PyTensor scalar ops on bools, built from comparisons as the NumPy tracer builds them
_LOGICAL = {"AND": _logical("logical_and"), "OR": _logical("logical_or"),
            "XOR": _logical("logical_xor"), "Invert": _logical("logical_not"),
            "IsNan": _logical("isnan"), "IsInf": _logical("isinf")}
_BOOL_ARITH = ("Add", "Mul", "Sub", "TrueDiv", "Neg", "Maximum", "Minimum", "ScalarMaximum",
               "ScalarMinimum", "Pow")
_SCALAR_EXTRA = ("Identity", "Second", "Clip", "Sign", "Cast", *_LOGICAL,
                 "GammaIncC")  # (clients) GammaIncC: pytensor_special
_KNOWN_KINDS = ("Shape", "Shape_i", "Elemwise", "DimShuffle", "Dot", "Dot22", "Matmul",
                "Reshape", "CheckParameterValue", "ScalarFromTensor", "TensorFromScalar",
                "MakeVector", "Join", "All", "Any", "Alloc", "Softmax", "LogSoftmax",
                "SoftmaxGrad", "Subtensor",
                *("AdvancedSubtensor1", "AdvancedSubtensor", "Split",  # (index)
                  "AdvancedIncSubtensor1", "AdvancedIncSubtensor"),
                *("IncSubtensor", "AllocEmpty", "CumOp", "ARange", "SpecifyShape"))  # (clients)


def _infer_minus_one(shape: tuple, new: tuple) -> tuple:
    """``new`` with its -1 resolved against ``shape`` holding symbolic dims: the dims of
    ``shape`` that ``new`` does not name (ignoring 1s) must be one dim or all ints."""
    left = [d for d in shape if d != 1]
    for d in new:
        if d in (-1, 1):
            continue
        if d not in left:
            raise UnsupportedOperation(f"Reshape (of shape {shape} to {new})")
        left.remove(d)
    if len(left) == 1:
        rest = left[0]
    elif all(isinstance(d, int) for d in left):
        rest = int(np.prod(left, dtype=np.int64))
    else:
        raise UnsupportedOperation(f"Reshape (of shape {shape} to {new})")
    return tuple(rest if d == -1 else d for d in new)


def _pytensor_types(name: str) -> tuple[type, ...]:
    try:
        from pytensor.compile.builders import OpFromGraph
    except ImportError:  # pragma: no cover
        return ()
    return (OpFromGraph,) if name == "OpFromGraph" else ()


def _pytensor() -> Any:
    return require("pytensor", "pytensor", "PyTensor import")


def from_pytensor(outputs: Any, inputs: Sequence[Any] | None = None) -> Graph:
    """The Graph of PyTensor ``outputs`` (a variable, a list of them, or a FunctionGraph).

    ``inputs`` (PyTensor variables) fixes the order of the graph's inputs; a FunctionGraph
    brings its own; otherwise the order in which the outputs reach them."""
    _pytensor()
    from pytensor.graph.fg import FunctionGraph

    if isinstance(outputs, FunctionGraph):
        inputs = list(outputs.inputs) if inputs is None else inputs
        outs = list(outputs.outputs)
    else:
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    # PyTensor requires dims of unknown length that meet in an Elemwise to be equal at
    # run time: each time two symbolic dims meet, they are unified and the import reruns
    aliases: dict[str, str] = {}
    while True:
        conv = _Converter(aliases)
        try:
            if inputs is not None:
                for v in inputs:
                    conv.var(v)
            for o in outs:
                conv.var(o)
        except _SameDims:
            continue
        break
    layout: list[list[Piece]] = []
    for o in outs:
        if id(o) in conv.parts:
            layout.append(conv.parts[id(o)])
        elif conv.nodes.get(id(o)) is not None:
            layout.append([Piece(conv.nodes[id(o)], None)])
        elif id(o) in conv.consts:
            value = conv.consts[id(o)]
            dtype = str(value.dtype) if str(value.dtype) in ("float32", "float64", "bool") \
                else "float64"
            layout.append([Piece(constant_node(value.astype(dtype), dtype), None)])
        elif not conv.unsupported:
            conv.unsupported[f"{type(o.owner.op).__name__} (as an output)"] += 1
    if conv.unsupported:
        raise UnsupportedOperation(
            "from_pytensor: unsupported op(s): "
            + ", ".join(f"{k} (x{n})" if n > 1 else k
                        for k, n in sorted(conv.unsupported.items())))
    order = [conv.inputs[id(v)] for v in inputs] if inputs is not None else None
    checks = check_order(outs[0], conv.checks, conv.check_applies)  # (clients)
    return ImportedGraph.build(layout, checks, order, frozenset(conv.ninf_messages))


_INDEX_KINDS = ("Subtensor", "AdvancedSubtensor1", "AdvancedSubtensor", "Split",
                "AdvancedIncSubtensor1", "AdvancedIncSubtensor")


def _lift_expand_dims(args: list[Node]) -> tuple[list[Node], tuple[int, ...]] | None:
    """Operands of an elementwise op that are all ``expand_dims`` of values of one rank
    by the same axes (rank-0 operands aside): the inner values and the axes, so that the
    op runs before the expansion. PyTensor's gradients write ``log(x[None])`` where the
    forward graph has ``log(x)[None]``; lifted, both are one value (and ``log(exp(s))``
    under the expansion simplifies). None otherwise."""
    shaped = [a for a in args if a.ndim]
    if not shaped or any(a.op != "expand_dims" for a in shaped):
        return None
    axes = {a.attr("axis") for a in shaped}
    ranks = {a.inputs[0].ndim for a in shaped}
    if len(axes) != 1 or len(ranks) != 1:
        return None
    return [a.inputs[0] if a.ndim else a for a in args], next(iter(axes))


def _uniform_switch(args: list[Node], out_dtype: str) -> Node | None:
    """``Switch`` on a constant condition that is all true or all false (PyMC's checks of
    observed data, ``value >= 0`` of counts; a mixture component's support): the branch it
    picks, broadcast to the result's shape, so that the forward graph and its gradient
    (where PyTensor builds the same value again) meet in one e-class. None otherwise."""
    cond = np.asarray(args[0].value)
    if cond.size == 0 or not (cond.all() or not cond.any()):
        return None
    pick = args[1] if cond.all() else args[2]
    if pick.dtype != out_dtype and out_dtype in ("float32", "float64", "bool"):
        pick = apply("cast", pick, dtype=out_dtype)
    shape = broadcast_shapes(*(a.shape for a in args))
    return pick if tuple(pick.shape) == tuple(shape) else apply("broadcast_to", pick,
                                                                   shape=shape)


class _Converter(AssignOps):
    def __init__(self, aliases: dict[str, str] | None = None) -> None:
        self.aliases = aliases if aliases is not None else {}
        self.nodes: dict[int, Node | None] = {}
        self.consts: dict[int, np.ndarray] = {}  # numeric values of constant variables
        self.inputs: dict[int, Node] = {}
        self.unsupported: Counter[str] = Counter()
        self.parts: dict[int, list[Piece]] = {}  # MakeVector / Join: pieces along axis 0
        self.dims: dict[int, Any] = {}  # shape values with symbolic dims (tuple or one dim)
        self.checks: list[tuple[Node, str]] = []
        self.check_applies: list[Any] = []  # (clients) the Check apply node of each check
        self.ninf_messages: set[str] = set()  # checks PyMC may replace by -inf
        self.count = 0

    # -- variables ---------------------------------------------------------------------
    def var(self, v: Any) -> Node | None:
        """Node of variable ``v`` (None where an unsupported op was recorded)."""
        key = id(v)
        if key in self.nodes:
            return self.nodes[key]
        stack = [v]
        while stack:  # iterative post-order over owners' inputs
            cur = stack[-1]
            if id(cur) in self.nodes:
                stack.pop()
                continue
            owner = cur.owner
            pending = [i for i in (owner.inputs if owner is not None else [])
                       if id(i) not in self.nodes]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self.nodes[id(cur)] = self._convert(cur)
        return self.nodes[key]

    def _convert(self, v: Any) -> Node | None:
        from pytensor.graph.basic import Constant

        if isinstance(v, Constant):
            self.consts[id(v)] = np.asarray(v.data)
            return None
        if v.owner is None and _is_shared(v):  # pm.Data / pytensor.shared: its value now
            self.consts[id(v)] = np.array(v.get_value(borrow=True))
            return None
        if v.owner is None:
            return self._input(v)
        apply_node = v.owner
        ins = apply_node.inputs
        if all(id(i) in self.consts for i in ins):
            self.consts[id(v)] = self._perform(apply_node, v)
            return None
        kind = type(apply_node.op).__name__
        if kind in ("Scan", "OpFromGraph") or isinstance(
                apply_node.op, _pytensor_types("OpFromGraph")):
            self.unsupported[f"{kind} (loops and inner graphs are not supported: "
                             "unroll the loop or inline the graph)"] += 1
            return None
        if any(self.nodes.get(id(i)) is None and id(i) not in self.consts
               and id(i) not in self.parts and id(i) not in self.dims for i in ins):
            # an input is unsupported: record this op too, so every unsupported op is named
            try:
                self._known(apply_node)
            except UnsupportedOperation as exc:
                self.unsupported[str(exc)] += 1
            return None
        try:
            return self._apply(apply_node, v)
        except UnsupportedOperation as exc:
            self.unsupported[str(exc)] += 1
            return None

    def _known(self, apply_node: Any) -> None:
        """Raise UnsupportedOperation naming ``apply_node``'s op when the importer has no
        mapping for it (used where an input is already unsupported)."""
        op = apply_node.op
        kind = type(op).__name__
        if kind == "Elemwise":
            name = type(op.scalar_op).__name__
            if name not in _SCALAR and name not in _SCALAR_EXTRA and name != "Composite":
                raise UnsupportedOperation(name)
        elif _core_kind(op) in _SOLVE_KINDS:  # (clients) only against a constant matrix
            if id(apply_node.inputs[0]) not in self.consts:
                raise UnsupportedOperation(f"{_core_kind(op)} (with a matrix that is not a "
                                           "constant)")
        elif kind not in _KNOWN_KINDS and not (hasattr(op, "scalar_op") and hasattr(op, "axis")):
            raise UnsupportedOperation(kind if kind != "Blockwise"
                                       else f"Blockwise({op.core_op})")

    def _alias(self, dim: str) -> str:
        while dim in self.aliases:
            dim = self.aliases[dim]
        return dim

    def _unify(self, args: list[Node]) -> None:
        """Symbolic dims that meet in an elementwise op are one dim: record the alias and
        restart (raise ``_SameDims``)."""
        ndim = max((a.ndim for a in args), default=0)
        for pos in range(1, ndim + 1):
            names = {a.shape[-pos] for a in args
                     if a.ndim >= pos and isinstance(a.shape[-pos], str)}
            sizes = {a.shape[-pos] for a in args
                     if a.ndim >= pos and isinstance(a.shape[-pos], int)} - {1}
            if names and len(sizes) == 1:  # (clients) a symbolic dim meets a size: it is one
                (size,) = sizes
                for name in names:
                    self.aliases[name] = size  # type: ignore[assignment]
                raise _SameDims
            if len(names) > 1:
                first, *rest = sorted(names)
                for other in rest:
                    self.aliases[other] = first
                raise _SameDims

    def _input(self, v: Any) -> Node:
        name = v.name or f"in{self.count}"
        self.count += 1
        dtype = str(v.type.dtype)
        if dtype not in ("float32", "float64", "bool", "int64"):  # int64: gather indices
            raise UnsupportedOperation(f"from_pytensor: input {name!r} has dtype {dtype}; "
                                       "only float32/float64/bool/int64 inputs are supported")
        shape = tuple(int(d) if d is not None else self._alias(f"{name}_{i}")
                      for i, d in enumerate(v.type.shape))
        node = input_node(name, shape, dtype)
        self.inputs[id(v)] = node
        return node

    def _perform(self, apply_node: Any, v: Any) -> np.ndarray:
        values = [self.consts[id(i)] for i in apply_node.inputs]
        if type(apply_node.op).__name__ == "Elemwise":
            # compute in the output's type as PyTensor's compiled code does (NumPy would
            # take log(int8 2) in float16)
            dt = np.dtype(str(v.type.dtype))
            if dt.kind == "f":
                values = [np.asarray(x, dtype=dt) if np.asarray(x).dtype.kind in "biuf"
                          else x for x in values]
        storage = [[None] for _ in apply_node.outputs]
        apply_node.op.perform(apply_node, values, storage)
        return np.asarray(storage[apply_node.outputs.index(v)][0])

    def node_of(self, v: Any, dtype: str) -> Node:
        """Node of an input variable; constants take ``dtype`` (the consumer's float type)."""
        if id(v) in self.consts:
            value = self.consts[id(v)]
            if value.dtype == np.bool_:
                return constant_node(value, "bool")
            return constant_node(value.astype(dtype), dtype)
        node = self.nodes[id(v)]
        assert node is not None
        return node

    # -- ops ---------------------------------------------------------------------------
    def _apply(self, apply_node: Any, v: Any) -> Node:
        op = apply_node.op
        kind = type(op).__name__
        out_dtype = str(v.type.dtype)
        fdtype = out_dtype if out_dtype in ("float32", "float64") else "float64"
        if kind in ("Shape", "Shape_i"):
            return self._fold_shape(apply_node, v)
        if kind not in ("Alloc", "Reshape", "AllocEmpty", "ARange", "SpecifyShape") and any(
                id(i) in self.dims for i in apply_node.inputs):
            return self._dim_op(apply_node, v)
        if kind == "CheckParameterValue" or getattr(op, "exc_type", None) is not None and \
                kind.startswith("Check"):
            return self._check(apply_node, op)
        if kind in ("ScalarFromTensor", "TensorFromScalar"):
            return self._value(apply_node.inputs[0], v)
        if kind in ("MakeVector", "Join"):
            return self._join(apply_node, v, kind)
        if kind in ("All", "Any"):
            return self._all_any(apply_node, kind)
        if kind == "Alloc":
            x = self.node_of(apply_node.inputs[0], fdtype)
            shape = tuple(self._dim(d) for d in apply_node.inputs[1:])
            return x if x.shape == shape else apply("broadcast_to", x, shape=shape)
        if kind in ("Softmax", "LogSoftmax"):
            x = self.node_of(apply_node.inputs[0], fdtype)
            axis = tuple(range(x.ndim)) if op.axis is None else (op.axis % x.ndim,)
            out = apply("sub", x, apply("logsumexp", x, axis=axis, keepdims=True))
            return out if kind == "LogSoftmax" else apply("exp", out)
        if kind == "SoftmaxGrad":  # (dy - sum(dy * sm, axis, keepdims)) * sm
            dy, sm = (self.node_of(i, fdtype) for i in apply_node.inputs)
            axis = tuple(range(sm.ndim)) if op.axis is None else (op.axis % sm.ndim,)
            dot = apply("sum", apply("mul", dy, sm), axis=axis, keepdims=True)
            return apply("mul", apply("sub", dy, dot), sm)
        if any(id(i) in self.parts for i in apply_node.inputs):
            self._join_parts(apply_node)  # (index) a joined value feeding another op
        if kind in _INDEX_KINDS:
            return self._index_op(apply_node, v, kind, fdtype)
        if kind in _CLIENT_KINDS:  # (clients)
            return getattr(self, _CLIENT_KINDS[kind])(apply_node, v, fdtype)
        if kind == "Elemwise":
            args = [self.node_of(i, fdtype) for i in apply_node.inputs]
            self._unify(args)
            # size-1 constants (PyTensor's ExpandDims of a literal) become scalars, so that
            # log(1 + x) reads as log(1 + x) for the rules, unless that changes the rank
            scalars = [constant_node(float(a.value.reshape(())), a.dtype)
                       if a.op == "constant" and a.ndim and np.size(a.value) == 1 else a
                       for a in args]
            lifted = _lift_expand_dims(scalars)  # (clients)
            if lifted is not None:
                inner, axis = lifted
                out = self._scalar(op.scalar_op, inner, out_dtype, fdtype)
                if out.ndim + len(axis) == v.type.ndim:
                    return apply("expand_dims", out, axis=axis)
            out = self._scalar(op.scalar_op, scalars, out_dtype, fdtype)
            if out.ndim == v.type.ndim:
                return out
            return self._scalar(op.scalar_op, args, out_dtype, fdtype)
        if kind == "DimShuffle":
            return self._dimshuffle(self.node_of(apply_node.inputs[0], fdtype), op.new_order)
        if hasattr(op, "scalar_op") and hasattr(op, "axis"):  # CAReduce family
            name = type(op.scalar_op).__name__
            red = _REDUCE.get(name) or _REDUCE.get(str(op.scalar_op))
            if red is None:
                raise UnsupportedOperation(f"CAReduce{{{op.scalar_op}}}")
            x = self.node_of(apply_node.inputs[0], fdtype)
            if x.dtype == "bool":  # Sum/Prod/Max/Min of bools count in float
                x = apply("cast", x, dtype=fdtype)
            axis = tuple(range(x.ndim)) if op.axis is None else tuple(sorted(op.axis))
            return apply(red, x, axis=axis, keepdims=False)
        if kind in ("Dot", "Dot22", "Matmul") or (
                kind == "Blockwise" and type(op.core_op).__name__ in ("Matmul", "Dot")):
            a, b = (self.node_of(i, fdtype) for i in apply_node.inputs)
            return apply("matmul", a, b)
        if kind == "Reshape":
            x = self.node_of(apply_node.inputs[0], fdtype)
            shape_var = apply_node.inputs[1]
            if id(shape_var) in self.dims and isinstance(self.dims[id(shape_var)], tuple):
                return apply("reshape", x, shape=self.dims[id(shape_var)])
            if id(shape_var) not in self.consts:
                raise UnsupportedOperation("Reshape (with a shape that is not a constant)")
            from ..frontend.functions import reshape

            new = tuple(int(d) for d in self.consts[id(shape_var)])
            if -1 in new and not all(isinstance(d, int) for d in x.shape):
                new = _infer_minus_one(x.shape, new)
            return reshape(x, new).node
        if _core_kind(op) in _SOLVE_KINDS:  # (clients) with a constant matrix
            return self._solve_constant(apply_node, v, fdtype)
        raise UnsupportedOperation(kind if kind != "Blockwise" else f"Blockwise({op.core_op})")

    def _fold_shape(self, apply_node: Any, v: Any) -> Node:
        x = apply_node.inputs[0]
        static = x.type.shape
        if any(d is None for d in static):
            node = self.nodes.get(id(x))
            if node is None:
                raise UnsupportedOperation(f"{type(apply_node.op).__name__} (of a variable "
                                           "with unknown static shape)")
            shape = tuple(node.shape)
            dims = shape if type(apply_node.op).__name__ == "Shape" else \
                shape[apply_node.op.i]
            if all(isinstance(d, int) for d in (dims if isinstance(dims, tuple) else (dims,))):
                self.consts[id(v)] = np.asarray(dims, dtype=np.int64)
            else:
                self.dims[id(v)] = dims
            return None  # type: ignore[return-value]
        if type(apply_node.op).__name__ == "Shape":
            self.consts[id(v)] = np.asarray(static, dtype=np.int64)
        else:
            self.consts[id(v)] = np.asarray(static[apply_node.op.i], dtype=np.int64)
        return None  # type: ignore[return-value]

    # -- shapes with symbolic dims, checks, joins -----------------------------------------
    def _dim(self, var: Any) -> Any:
        """One dim (an int or a symbolic name) from a shape value."""
        if id(var) in self.consts:
            return int(self.consts[id(var)])
        dim = self.dims.get(id(var))
        if dim is None or isinstance(dim, tuple):
            raise UnsupportedOperation("a shape computed from values (not from shapes)")
        return dim

    def _dim_op(self, apply_node: Any, v: Any) -> None:
        """Shape arithmetic over symbolic dims: picking, packing and converting them."""
        kind = type(apply_node.op).__name__
        ins = apply_node.inputs
        if kind in ("ScalarFromTensor", "TensorFromScalar") or (
                kind == "Elemwise" and type(apply_node.op.scalar_op).__name__ in
                ("Cast", "Identity")):
            self.dims[id(v)] = self.dims[id(ins[0])]
        elif kind == "MakeVector":
            self.dims[id(v)] = tuple(self._dim(i) for i in ins)
        elif kind == "Subtensor" and isinstance(self.dims[id(ins[0])], tuple) and \
                len(apply_node.op.idx_list) == 1 and isinstance(apply_node.op.idx_list[0], int):
            self.dims[id(v)] = self.dims[id(ins[0])][apply_node.op.idx_list[0]]
        elif kind == "Subtensor" and isinstance(self.dims[id(ins[0])], tuple) and \
                all(id(i) in self.consts for i in ins[1:]) and len(ins) == 2:
            self.dims[id(v)] = self.dims[id(ins[0])][int(self.consts[id(ins[1])])]
        else:
            raise UnsupportedOperation(f"{kind} (of a symbolic shape)")
        return None

    def _check(self, apply_node: Any, op: Any) -> Node:
        """``CheckParameterValue(value, *conds)``: the value; each condition is recorded
        (reduced to one bool) for the compiled graph to test."""
        value, *conds = apply_node.inputs
        msg = str(getattr(op, "msg", "") or "")
        if getattr(op, "can_be_replaced_by_ninf", False):
            self.ninf_messages.add(msg)
        for c in conds:
            if id(c) in self.consts:
                if not np.all(self.consts[id(c)]):
                    self.checks.append((constant_node(False, "bool"), msg))
                    self.check_applies.append(apply_node)
                continue
            if id(c) in self.parts:
                node = self._reduce_parts(self.parts[id(c)], "All")
            else:
                node = self.node_of(c, "float64")
                from ..frontend import functions as F

                if node.dtype != "bool" or node.ndim:
                    node = F.all(node).node
            self.checks.append((node, msg))
            self.check_applies.append(apply_node)
        out = str(apply_node.outputs[0].type.dtype)
        return self._value(value, apply_node.outputs[0],
                           out if out in ("float32", "float64") else "float64")

    def _value(self, x: Any, v: Any, dtype: str = "float64") -> Node:
        """``x`` passed through (to ``v``): a node, pieces or a symbolic dim."""
        if id(x) in self.parts:
            self.parts[id(v)] = self.parts[id(x)]
            return None  # type: ignore[return-value]
        return self.node_of(x, dtype)

    def _join(self, apply_node: Any, v: Any, kind: str) -> None:
        """``MakeVector`` of scalars and ``Join`` along axis 0 of vectors: kept as pieces."""
        ins = list(apply_node.inputs)
        out_dtype = str(v.type.dtype)
        fdtype = out_dtype if out_dtype in ("float32", "float64") else "float64"
        if kind == "Join":
            axis_var, *ins = ins
            axis = int(self.consts[id(axis_var)]) if id(axis_var) in self.consts else None
            if axis is None:
                raise UnsupportedOperation("Join (along an axis that is not a constant)")
            if axis % v.type.ndim != 0 or v.type.ndim != 1:  # (index) a concatenate op
                from ..frontend.indexing import concatenate

                nodes = [self.node_of(i, fdtype) for i in ins]
                return concatenate(nodes, axis=axis).node
        pieces: list[Piece] = []
        for i in ins:
            if id(i) in self.parts:
                pieces.extend(self.parts[id(i)])
                continue
            node = self.node_of(i, fdtype) if id(i) not in self.consts or \
                self.consts[id(i)].dtype != np.bool_ or out_dtype == "bool" else \
                constant_node(self.consts[id(i)].astype(fdtype), fdtype)
            pieces.append(Piece(node, True))
        self.parts[id(v)] = pieces
        return None

    # -- indexing and joins (index) ----------------------------------------------------
    def _join_parts(self, apply_node: Any) -> None:
        """Inputs kept as pieces (``MakeVector``/``Join``) that another op reads become one
        ``concatenate`` of the raveled pieces."""
        from ..frontend.indexing import concatenate

        for i in apply_node.inputs:
            if id(i) in self.parts and self.nodes.get(id(i)) is None:
                nodes = [apply("reshape", p.node, shape=(1,)) if p.node.ndim == 0 else p.node
                         for p in self.parts[id(i)]]
                self.nodes[id(i)] = concatenate(nodes, axis=0).node

    def _reduce_parts(self, pieces: list[Piece], kind: str) -> Node:
        from ..frontend import functions as F

        fold = F.all if kind == "All" else F.any
        comb = F.logical_and if kind == "All" else F.logical_or
        out = None
        for p in pieces:
            r = fold(p.node)
            out = r if out is None else comb(out, r)
        return out.node if out is not None else constant_node(kind == "All", "bool")

    def _all_any(self, apply_node: Any, kind: str) -> Node:
        from ..frontend import functions as F

        x = apply_node.inputs[0]
        axis = apply_node.op.axis
        if id(x) in self.parts:
            if axis not in (None, (0,), [0]):
                raise UnsupportedOperation(f"{kind} (along axis {axis} of a MakeVector/Join)")
            return self._reduce_parts(self.parts[id(x)], kind)
        node = self.node_of(x, "float64")
        axis = None if axis is None else tuple(axis)
        return (F.all if kind == "All" else F.any)(node, axis=axis).node

    def _scalar(self, sop: Any, args: list[Node], out_dtype: str, fdtype: str) -> Node:
        name = type(sop).__name__
        if name == "Composite":
            return self._composite(sop, args, fdtype)
        if name in _LOGICAL:
            return _LOGICAL[name](*args)
        if name in _BOOL_ARITH and any(a.dtype == "bool" for a in args):
            if all(a.dtype == "bool" for a in args) and name in ("Add", "Mul", "Maximum",
                                                                   "Minimum", "ScalarMaximum",
                                                                   "ScalarMinimum"):
                fold = _LOGICAL["OR" if name in ("Add", "Maximum", "ScalarMaximum") else "AND"]
                out = args[0]
                for a in args[1:]:
                    out = fold(out, a)
                return out
            args = [apply("cast", a, dtype=fdtype) if a.dtype == "bool" else a for a in args]
        if name == "Switch" and args[0].dtype != "bool":
            args = [apply("not_equal", args[0], constant_node(0.0, args[0].dtype)), *args[1:]]
        if name == "Switch" and args[0].op == "constant":  # (clients)
            return _uniform_switch(args, out_dtype) or apply("where", *args)
        if name in ("Add", "Mul") and len(args) > 2:
            out = args[0]
            for a in args[1:]:
                out = apply(_SCALAR[name], out, a)
            return out
        if name in _SCALAR:
            return apply(_SCALAR[name], *args)
        if name == "Identity":
            return args[0]
        if name == "Second":  # fill: the value of args[1] broadcast to the shape of args[0]
            shape = broadcast_shapes(args[0].shape, args[1].shape)
            return args[1] if shape == args[1].shape else apply("broadcast_to", args[1],
                                                                 shape=shape)
        if name == "Clip":
            return apply("minimum", apply("maximum", args[0], args[1]), args[2])
        if name == "GammaIncC":  # (clients) Poisson CDFs: a finite sum
            from .pytensor_special import gammaincc_integer

            return gammaincc_integer(args[0], args[1], fdtype)
        if name == "Sign":
            x = args[0]
            zero = constant_node(0.0, x.dtype)
            return apply("where", apply("greater", x, zero), constant_node(1.0, x.dtype),
                         apply("where", apply("less", x, zero), constant_node(-1.0, x.dtype),
                               x))
        if name == "Cast":
            dtype = str(sop.o_type.dtype)
            if dtype not in ("float32", "float64", "bool"):
                raise UnsupportedOperation(f"Cast{{{dtype}}}")
            return args[0] if args[0].dtype == dtype else apply("cast", args[0], dtype=dtype)
        raise UnsupportedOperation(name)

    def _composite(self, sop: Any, args: list[Node], fdtype: str) -> Node:
        from pytensor.graph.basic import Constant

        env: dict[int, Node] = {id(i): a for i, a in zip(sop.fgraph.inputs, args)}
        for node in sop.fgraph.toposort():
            ins = []
            for i in node.inputs:
                if isinstance(i, Constant):
                    ins.append(constant_node(float(i.data), fdtype))
                else:
                    ins.append(env[id(i)])
            out = node.outputs[0]
            env[id(out)] = self._scalar(node.op, ins, str(out.type.dtype), fdtype)
        if len(sop.fgraph.outputs) != 1:
            raise UnsupportedOperation("Composite (with several outputs)")
        return env[id(sop.fgraph.outputs[0])]

    def _dimshuffle(self, x: Node, new_order: Sequence[Any]) -> Node:
        kept = [d for d in new_order if d != "x"]
        dropped = [i for i in range(x.ndim) if i not in kept]
        out = x
        if dropped:
            out = apply("reshape", out, shape=tuple(d for i, d in enumerate(x.shape)
                                                    if i not in dropped))
        # positions of the kept dims after dropping
        remap = {old: new for new, old in enumerate(i for i in range(x.ndim) if i not in dropped)}
        perm = tuple(remap[d] for d in kept)
        if perm != tuple(range(len(perm))):
            out = apply("transpose", out, axes=perm)
        new_axes = tuple(i for i, d in enumerate(new_order) if d == "x")
        if new_axes:
            out = apply("expand_dims", out, axis=new_axes)
        return out
