"""Graph <-> e-graph: insert an IR ``Graph`` into egglog, and turn an extracted selection
of e-nodes back into a ``Graph``.

Insertion is bulk and linear. Each IR node ``i`` is the e-class ``(Ref i)``. For every op
there is a table ``(relation in-Ctor (i64 ...))`` of rows ``i, child indices..., encoded
attributes``; the rows are written as TSV files and loaded with egglog's ``input``
command, then one iteration of the ``insert`` ruleset runs
``(rule ((in-Add i a b)) ((union (Ref i) (Add (Ref a) (Ref b)))))`` for all rows at once.
Seeded analysis facts (``seed-ty``, ``seed-positive``, ...) travel the same way. Only
leaves (inputs, constants: strings and floats, which ``input`` cannot read) and interval
bounds are sent as individual commands. Shared nodes stay shared (one row per IR node).
This replaced one ``(set (node i) ...)`` command per node, which cost 40-100 us each.

Conversion back is a loop over the selection in dependency order: no recursion, no
string parsing.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from typing import Any

from ..egglog_bindings import bindings as b
from ..ir import OPS, ArrayValue, Graph, Node, apply, constant_node
from .analyses.types import Row, node_type
from .schema import ATTR_SORTS, DTYPE_CODES, INTERN, ctor, encode_attr

SPAN = b.RustSpan("eqsat-tensor", 0, 0)
INSERT = "insert"
SEED_RELATIONS = ("positive", "nonnegative", "nonzero", "negative", "nonpositive", "finite",
                  "defined", "uncompared")


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


def ref(i: int) -> Any:
    """The expression ``(Ref i)``: the e-class of the i-th inserted IR node."""
    return b.Call(SPAN, "Ref", [b.Lit(SPAN, b.Int(i))])


def table(op: str) -> str:
    """Name of the insertion table of ``op``."""
    return f"in-{ctor(op)}"


def declarations() -> str:
    """egglog declarations and ``insert`` rules of the bulk insertion tables."""
    lines = ["(function dtype-name (i64) String :merge old)",
             "(function seed-ty (i64) i64 :merge old)"]
    lines += [f"(set (dtype-name {c}) \"{d}\")" for d, c in DTYPE_CODES.items()]
    lines += [f"(relation seed-{r} (i64))" for r in SEED_RELATIONS]
    lines.append(f"(ruleset {INSERT})")
    for op, spec in OPS.items():
        if spec.kind == "leaf":
            continue
        cols = 1 + spec.arity + len(spec.attrs)
        lines.append(f"(relation {table(op)} ({' '.join(['i64'] * cols)}))")
        kids = [f"c{k}" for k in range(spec.arity)]
        attrs, facts = [], []
        for a in spec.attrs:
            if ATTR_SORTS[a] == "String":
                facts.append(f"(= s_{a} (dtype-name a_{a}))")
                attrs.append(f"s_{a}")
            else:
                attrs.append(f"a_{a}")
        cols_text = " ".join(["i"] + kids + [f"a_{a}" for a in spec.attrs])
        term = f"({ctor(op)} {' '.join([f'(Ref {k})' for k in kids] + attrs)})"
        lines.append(f"(rule (({table(op)} {cols_text}) {' '.join(facts)}) "
                     f"((union (Ref i) {term})) :ruleset {INSERT} :name \"insert-{op}\")")
    lines.append(f"(rule ((= t (seed-ty i))) ((set (ty (Ref i)) t)) :ruleset {INSERT} "
                 ":name \"seed-ty\")")
    for r in SEED_RELATIONS:
        lines.append(f"(rule ((seed-{r} i)) (({r} (Ref i))) :ruleset {INSERT} "
                     f":name \"seed-{r}\")")
    return "\n".join(lines)


def leaf_expr(node: Node) -> Any:
    """egglog expression of an input or constant node."""
    if node.op == "input":
        return b.Call(SPAN, "Input", [lit(node.name), lit(node_type(node))])
    value = node.attr("value")
    if isinstance(value, ArrayValue):
        return b.Call(SPAN, "ArrayConst", [lit(INTERN.id(("array", value))),
                                           lit(node_type(node))])
    if value == 0 and math.copysign(1.0, float(value)) < 0:
        # egglog's f64 equality conflates -0.0 with 0.0: keep the sign as a negation
        return b.Call(SPAN, "Neg", [b.Call(SPAN, "Const", [lit(0.0), lit(node.dtype)])])
    return b.Call(SPAN, "Const", [lit(float(value)), lit(node.dtype)])


def inserted_ctors(graph: Graph) -> set[str]:
    """The constructors inserting ``graph`` puts into the e-graph (what ``insertion`` and
    ``leaf_expr`` build), for pruning the rules that can never match (``prune``)."""
    out = {"Ref"}
    for node in graph.nodes():
        if OPS[node.op].kind != "leaf":
            out.add(ctor(node.op))
        elif node.op == "input":
            out.add("Input")
        else:
            value = node.attr("value")
            if isinstance(value, ArrayValue):
                out.add("ArrayConst")
            else:
                out.add("Const")
                if value == 0 and math.copysign(1.0, float(value)) < 0:
                    out.add("Neg")
    return out


def _encode_column(name: str, value: Any) -> int:
    if ATTR_SORTS[name] == "String":
        return DTYPE_CODES[value]
    return int(encode_attr(name, value))


def insertion(graph: Graph, facts: Sequence[tuple[str, int, Any]], directory: str | None
              ) -> tuple[list[Any], dict[int, int]]:
    """Write the insertion tables of ``graph`` (and seeded ``facts``) into ``directory``;
    returns the commands that load them and the index of each node (by uid). Without a
    directory, or where a file cannot be written, the rows are commands of their own."""
    index: dict[int, int] = {}
    rows: dict[str, list[str]] = {}
    cmds: list[Any] = []
    for i, node in enumerate(graph.nodes()):
        index[node.uid] = i
        spec = OPS[node.op]
        if spec.kind == "leaf":
            cmds.append(b.ActionCommand(b.Union(SPAN, ref(i), leaf_expr(node))))
            continue
        cols = [i] + [index[c.uid] for c in node.inputs]
        cols += [_encode_column(a, node.attr(a)) for a in spec.attrs]
        rows.setdefault(table(node.op), []).append("\t".join(map(str, cols)))
    for name, i, value in facts:
        if name == "ty":
            rows.setdefault("seed-ty", []).append(f"{i}\t{value}")
        elif value is None:
            rows.setdefault(f"seed-{name}", []).append(str(i))
        else:  # interval bounds: floats, which egglog's input cannot read
            cmds.append(b.ActionCommand(b.Set(SPAN, name, [ref(i)], lit(float(value)))))
    for name, lines in rows.items():
        if directory is None:
            cmds += _row_actions(name, lines)
            continue
        path = os.path.join(directory, f"{name}.tsv")
        try:
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            cmds.append(b.Input(SPAN, name, path))
        except OSError:  # a full disk or a file size limit: the same rows as actions
            cmds += _row_actions(name, lines)
    cmds.append(b.RunSchedule(b.Run(SPAN, b.RunConfig(INSERT, None))))
    return cmds, index


def _row_actions(name: str, lines: list[str]) -> list[Any]:
    """The rows of one insertion table as commands (slower than a file, needs no disk)."""
    out = []
    for line in lines:
        args = [lit(int(v)) for v in line.split("\t")]
        if name == "seed-ty":  # a function: (set (seed-ty i) t)
            out.append(b.ActionCommand(b.Set(SPAN, name, args[:1], args[1])))
        else:  # a relation
            out.append(b.ActionCommand(b.Expr_(SPAN, b.Call(SPAN, name, args))))
    return out


def row_commands(rows: Sequence[Row]) -> list[Any]:
    """Commands setting table rows ``(fn args) = value``."""
    return [b.ActionCommand(b.Set(SPAN, fn, [lit(a) for a in args], lit(v)))
            for fn, args, v in rows]


def row_loads(rows: Sequence[Row], directory: str | None) -> list[Any]:
    """Commands setting table rows ``(fn args) = value`` like ``row_commands``, the rows
    of integers only written as one TSV file per table into ``directory`` and loaded with
    egglog's ``input`` (a third of the time of one command per row; strings, floats and
    booleans stay commands). Without a directory, or where a file cannot be written,
    every row is a command."""
    if directory is None:
        return row_commands(rows)
    by_table: dict[str, list[str]] = {}
    rest: list[Row] = []
    for row in rows:
        fn, args, v = row
        if type(v) is int and all(type(a) is int for a in args):
            by_table.setdefault(fn, []).append("\t".join(map(str, (*args, v))))
        else:
            rest.append(row)
    cmds: list[Any] = []
    for fn, lines in by_table.items():
        path = os.path.join(directory, f"rows-{fn}.tsv")
        try:
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        except OSError:  # a full disk or a file size limit: the rows as commands
            rest.extend(r for r in rows if r[0] == fn and r not in rest)
            continue
        cmds.append(b.Input(SPAN, fn, path))
    return cmds + row_commands(rest)


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
                       roots: Sequence[Any], original: Graph,
                       deadline: float | None = None) -> Graph:
    """Rebuild a Graph from extracted e-nodes given in dependency order as
    ``(eclass, op, child eclasses, decoded attrs)``; ``roots`` are the output classes.
    The result keeps ``original.inputs`` (order and unused inputs included). Raises
    ``budget.OutOfTime`` if the clock passes ``deadline`` (``time.perf_counter()``)."""
    by_name = {n.name: n for n in original.inputs}
    built: dict[Any, Node] = {}
    for k, (cls, op, children, attrs) in enumerate(order):
        if deadline is not None and k % 4096 == 4095 and time.perf_counter() > deadline:
            from .budget import OutOfTime

            raise OutOfTime("rebuilding the extracted graph ran past the time budget")
        built[cls] = build_node(op, [built[c] for c in children], attrs, by_name)
    outs = [built[r] for r in roots]
    return Graph(outs, original.inputs)
