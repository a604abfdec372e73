"""Graph <-> e-graph: insert an IR ``Graph`` through egglog's low-level bindings, and turn
an extracted selection of e-nodes back into a ``Graph``.

Insertion is one ``(set (node i) (Ctor (node j) ...))`` command per IR node in topological
order, built as command objects (no text), so it is linear and shared nodes stay shared
(each IR node is inserted once and referred to by index). Conversion back is a loop over
the selection in dependency order: no recursion, no string parsing.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from egglog import bindings as b

from ..ir import OPS, ArrayValue, Graph, Node, apply, constant_node
from .analyses.types import Row, node_type
from .schema import INTERN, ctor, encode_attr

SPAN = b.RustSpan("eqsat-tensor", 0, 0)


def lit(value: Any) -> Any:
    """An egglog literal expression for a Python int, float or str."""
    if isinstance(value, bool):
        return b.Lit(SPAN, b.Int(int(value)))
    if isinstance(value, int):
        return b.Lit(SPAN, b.Int(value))
    if isinstance(value, float):
        return b.Lit(SPAN, b.Float(value))
    if isinstance(value, str):
        return b.Lit(SPAN, b.String(value))
    raise TypeError(f"no egglog literal for {value!r}")


def node_ref(i: int) -> Any:
    """The expression ``(node i)``: the e-class of the i-th inserted IR node."""
    return b.Call(SPAN, "node", [b.Lit(SPAN, b.Int(i))])


def leaf_expr(node: Node) -> Any:
    """egglog expression of an input or constant node."""
    if node.op == "input":
        return b.Call(SPAN, "Input", [lit(node.name), lit(node_type(node))])
    value = node.attr("value")
    if isinstance(value, ArrayValue):
        return b.Call(SPAN, "ArrayConst", [lit(INTERN.id(("array", value))),
                                           lit(node_type(node))])
    return b.Call(SPAN, "Const", [lit(float(value)), lit(node.dtype)])


def insert_commands(graph: Graph) -> tuple[list[Any], dict[int, int]]:
    """Commands inserting ``graph``, and the index of each node (by uid)."""
    index: dict[int, int] = {}
    cmds = []
    for i, node in enumerate(graph.nodes()):
        index[node.uid] = i
        if OPS[node.op].kind == "leaf":
            expr = leaf_expr(node)
        else:
            args = [node_ref(index[c.uid]) for c in node.inputs]
            args += [lit(encode_attr(a, node.attr(a))) for a in OPS[node.op].attrs]
            expr = b.Call(SPAN, ctor(node.op), args)
        cmds.append(b.ActionCommand(b.Set(SPAN, "node", [lit(i)], expr)))
    return cmds, index


def row_commands(rows: Sequence[Row]) -> list[Any]:
    """Commands setting table rows ``(fn args) = value``."""
    return [b.ActionCommand(b.Set(SPAN, fn, [lit(a) for a in args], lit(v)))
            for fn, args, v in rows]


def build_node(op: str, children: list[Node], attrs: dict[str, Any],
               inputs_by_name: dict[str, Node]) -> Node:
    """The IR node for one extracted e-node (leaves included)."""
    if op == "input":
        return inputs_by_name[attrs["name"]]
    if op == "constant":
        value = attrs["value"]
        if isinstance(value, ArrayValue):
            return constant_node(value.array, attrs["dtype"])
        if attrs["dtype"] == "bool":
            return constant_node(bool(value), "bool")
        return constant_node(float(value), attrs["dtype"])
    return apply(op, *children, **attrs)


def selection_to_graph(order: Sequence[tuple[Any, str, list[Any], dict[str, Any]]],
                       roots: Sequence[Any], original: Graph) -> Graph:
    """Rebuild a Graph from extracted e-nodes given in dependency order as
    ``(eclass, op, child eclasses, decoded attrs)``; ``roots`` are the output classes.
    The result keeps ``original.inputs`` (order and unused inputs included)."""
    by_name = {n.name: n for n in original.inputs}
    built: dict[Any, Node] = {}
    for cls, op, children, attrs in order:
        built[cls] = build_node(op, [built[c] for c in children], attrs, by_name)
    outs = [built[r] for r in roots]
    return Graph(outs, original.inputs)


def is_finite_number(v: Any) -> bool:
    """True for finite Python floats."""
    return isinstance(v, float) and math.isfinite(v)
