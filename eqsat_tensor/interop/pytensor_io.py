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

Root variables become inputs named after the variable (``x``; unnamed ones ``in0``...),
with their static shape (unknown dims become symbolic, ``x_0``) and dtype. Any op not
listed raises ``UnsupportedOperation`` naming every unsupported op found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import (
    Graph,
    Node,
    apply,
    broadcast_shapes,
    constant_node,
    input_node,
    ops_named_in,
)
from ._optional import require

# PyTensor scalar Op class -> op, from the ops table's PyTensor names.
_SCALAR = ops_named_in("pytensor")
_REDUCE = {"Add": "sum", "add": "sum", "Mul": "prod", "mul": "prod",
           "ScalarMaximum": "max", "Maximum": "max", "ScalarMinimum": "min", "Minimum": "min"}


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
    conv = _Converter()
    if inputs is not None:
        for v in inputs:
            conv.var(v)
    nodes = [conv.var(o) for o in outs]
    if conv.unsupported:
        raise UnsupportedOperation("from_pytensor: unsupported op(s): "
                                   + ", ".join(sorted(conv.unsupported)))
    order = [conv.inputs[id(v)] for v in inputs] if inputs is not None else None
    return Graph([n for n in nodes if n is not None], order)


class _Converter:
    def __init__(self) -> None:
        self.nodes: dict[int, Node | None] = {}
        self.consts: dict[int, np.ndarray] = {}  # numeric values of constant variables
        self.inputs: dict[int, Node] = {}
        self.unsupported: set[str] = set()
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
        if v.owner is None:
            return self._input(v)
        apply_node = v.owner
        ins = apply_node.inputs
        if all(id(i) in self.consts for i in ins):
            self.consts[id(v)] = self._perform(apply_node, v)
            return None
        if any(self.nodes.get(id(i)) is None and id(i) not in self.consts for i in ins):
            return None  # an input is unsupported; already recorded
        try:
            return self._apply(apply_node, v)
        except UnsupportedOperation as exc:
            self.unsupported.add(str(exc))
            return None

    def _input(self, v: Any) -> Node:
        name = v.name or f"in{self.count}"
        self.count += 1
        dtype = str(v.type.dtype)
        if dtype not in ("float32", "float64", "bool"):
            raise UnsupportedOperation(f"from_pytensor: input {name!r} has dtype {dtype}; "
                                       "only float32/float64/bool inputs are supported")
        shape = tuple(int(d) if d is not None else f"{name}_{i}"
                      for i, d in enumerate(v.type.shape))
        node = input_node(name, shape, dtype)
        self.inputs[id(v)] = node
        return node

    def _perform(self, apply_node: Any, v: Any) -> np.ndarray:
        values = [self.consts[id(i)] for i in apply_node.inputs]
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
        if kind == "Elemwise":
            args = [self.node_of(i, fdtype) for i in apply_node.inputs]
            # size-1 constants (PyTensor's ExpandDims of a literal) become scalars, so that
            # log(1 + x) reads as log(1 + x) for the rules, unless that changes the rank
            scalars = [constant_node(float(a.value.reshape(())), a.dtype)
                       if a.op == "constant" and a.ndim and np.size(a.value) == 1 else a
                       for a in args]
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
            axis = tuple(range(x.ndim)) if op.axis is None else tuple(sorted(op.axis))
            return apply(red, x, axis=axis, keepdims=False)
        if kind in ("Dot", "Dot22", "Matmul") or (
                kind == "Blockwise" and type(op.core_op).__name__ in ("Matmul", "Dot")):
            a, b = (self.node_of(i, fdtype) for i in apply_node.inputs)
            return apply("matmul", a, b)
        if kind == "Reshape":
            x = self.node_of(apply_node.inputs[0], fdtype)
            shape_var = apply_node.inputs[1]
            if id(shape_var) not in self.consts:
                raise UnsupportedOperation("Reshape (with a shape that is not a constant)")
            from ..frontend.functions import reshape

            return reshape(x, tuple(int(d) for d in self.consts[id(shape_var)])).node
        raise UnsupportedOperation(kind if kind != "Blockwise" else f"Blockwise({op.core_op})")

    def _fold_shape(self, apply_node: Any, v: Any) -> Node:
        x = apply_node.inputs[0]
        static = x.type.shape
        if any(d is None for d in static):
            raise UnsupportedOperation(f"{type(apply_node.op).__name__} (of a variable with "
                                       "unknown static shape)")
        if type(apply_node.op).__name__ == "Shape":
            self.consts[id(v)] = np.asarray(static, dtype=np.int64)
        else:
            self.consts[id(v)] = np.asarray(static[apply_node.op.i], dtype=np.int64)
        return None  # type: ignore[return-value]

    def _scalar(self, sop: Any, args: list[Node], out_dtype: str, fdtype: str) -> Node:
        name = type(sop).__name__
        if name == "Composite":
            return self._composite(sop, args, fdtype)
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
