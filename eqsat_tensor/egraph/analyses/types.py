"""Shape and dtype analysis: ``(ty e)`` is the interned (shape, dtype) type of e-class ``e``.

Lattice: a flat one. An e-class has exactly one type (every rewrite preserves shape and
dtype), so ``merge`` keeps the old value (``:merge old``); two different types in one class
would mean an ill-typed rewrite, and the extractor rejects e-nodes whose own type (computed
from their children) differs from their class's type.

egglog cannot run the IR's Python shape rules, so they are tabulated: for each group of
ops sharing a shape rule and a dtype rule, a function ``(ty-<group> in-types.. attrs..)``
holds the result type for every combination over a finite *universe* of types (those of
the graph, closed twice under the ops). The tables are computed here from ``ir.OPS`` by
calling the ops' own shape and dtype rules, so no op or shape rule is written twice.
``(tyshape t)``, ``(tydtype t)`` and ``(tyrank t)`` describe a type.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

from ...ir import OPS, Node
from ...ir.attr_helpers import HELPERS as ATTR_HELPERS
from ..schema import SORT, ctor, decode_attr, encode_attr, shape_id, tuple_id, type_id, type_value

Row = tuple[str, tuple, Any]  # (function, args, value)

# Universe closure stops growing past this many types (tables grow with its square).
MAX_UNIVERSE = 48
# Ranks for which ``axis=None`` (all axes) and ``axes=None`` (reversed) are tabulated.
MAX_RANK = 8


def _group_key(op: str) -> tuple:
    spec = OPS[op]
    return (spec.shape_rule, spec.dtype_rule, spec.arity, spec.attrs)


def _is_copy(op: str) -> bool:
    """Unary ops without attributes whose type is their operand's (elementwise float ops)."""
    spec = OPS[op]
    return spec.kind == "elementwise" and spec.arity == 1 and not spec.attrs and op != "cast"


def groups() -> dict[str, list[str]]:
    """Table name -> ops sharing that shape and dtype rule (copy ops excluded)."""
    out: dict[tuple, list[str]] = {}
    for op, spec in OPS.items():
        if spec.kind == "leaf" or _is_copy(op):
            continue
        out.setdefault(_group_key(op), []).append(op)
    return {f"ty-{ops[0]}": ops for ops in out.values()}


_GROUPS = groups()
TABLE_OF = {op: name for name, ops in _GROUPS.items() for op in ops}


def declarations() -> str:
    """egglog declarations of the type analysis."""
    lines = [f"(function ty ({SORT}) i64 :merge old)",
             "(function tyshape (i64) i64 :merge old)",
             "(function tydtype (i64) String :merge old)",
             "(function tyrank (i64) i64 :merge old)",
             "(function tysize (i64) i64 :merge old)",
             "(function scalarty (String) i64 :merge old)",
             "(function allaxes (i64) i64 :merge old)",
             "(function revaxes (i64) i64 :merge old)"]
    lines.append("(function idaxes (i64) i64 :merge old)")
    for h in ATTR_HELPERS.values():  # attribute helpers of right sides (ir/attr_helpers.py)
        lines.append(f"(function {h.table} ({' '.join(['i64'] * len(h.args))}) i64 "
                     ":merge old)")
    for r in range(MAX_RANK + 1):  # rank -> id of ``axis=None`` / ``axes=None``
        lines.append(f"(set (allaxes {r}) {tuple_id('axis', tuple(range(r)))})")
        lines.append(f"(set (revaxes {r}) {tuple_id('axes', tuple(reversed(range(r))))})")
        # the identity permutation (a transpose by it is a no-op: analyses/__init__.py)
        lines.append(f"(set (idaxes {r}) {tuple_id('axes', tuple(range(r)))})")
    for name, ops in _GROUPS.items():
        spec = OPS[ops[0]]
        from ..schema import ATTR_SORTS

        args = ["i64"] * spec.arity + [ATTR_SORTS[a] for a in spec.attrs]
        lines.append(f"(function {name} ({' '.join(args)}) i64 :merge old)")
    return "\n".join(lines)


def rules(ruleset: str) -> str:
    """egglog rules that type every e-node from its children."""
    out = [f"(rule ((= e (Input n t))) ((set (ty e) t)) :ruleset {ruleset} :name \"ty-input\")",
           f"(rule ((= e (Const v d)) (= t (scalarty d))) ((set (ty e) t)) :ruleset {ruleset} "
           ":name \"ty-const\")",
           f"(rule ((= e (ArrayConst i t))) ((set (ty e) t)) :ruleset {ruleset} "
           ":name \"ty-array\")"]
    for op, spec in OPS.items():
        if spec.kind == "leaf":
            continue
        xs = [f"x{i}" for i in range(spec.arity)]
        attrs = [f"a_{a}" for a in spec.attrs]
        pat = f"(= e ({ctor(op)} {' '.join(xs + attrs)}))"
        tys = " ".join(f"(= t{i} (ty x{i}))" for i in range(spec.arity))
        if _is_copy(op):
            out.append(f"(rule ({pat} (= t0 (ty x0))) ((set (ty e) t0)) :ruleset {ruleset} "
                       f":name \"ty-{op}\")")
            continue
        call = f"({TABLE_OF[op]} {' '.join([f't{i}' for i in range(spec.arity)] + attrs)})"
        out.append(f"(rule ({pat} {tys} (= t {call})) ((set (ty e) t)) :ruleset {ruleset} "
                   f":name \"ty-{op}\")")
    return "\n".join(out)


def node_type(node: Node) -> int:
    """Type id of an IR node."""
    return type_id(node.shape, node.dtype)


def _valid_attrs(op: str, shapes: list[tuple], attrs: dict) -> bool:
    """Range checks the shape rules leave to the builder."""
    spec = OPS[op]
    if not shapes:
        return True
    nd = len(shapes[0])
    if spec.kind == "reduction":
        return all(0 <= a < nd for a in attrs["axis"])
    if op == "transpose":
        return sorted(attrs["axes"]) == list(range(nd))
    if op == "expand_dims":
        return all(0 <= a < nd + len(attrs["axis"]) for a in attrs["axis"])
    return True


def result_type(op: str, in_types: tuple[int, ...], enc_attrs: tuple) -> int | None:
    """Type id of ``op`` applied to types ``in_types`` with encoded attrs, or None if
    ill-typed. Uses the op's own shape and dtype rules."""
    spec = OPS[op]
    shapes, dtypes = [], []
    for t in in_types:
        s, d = type_value(t)
        shapes.append(s)
        dtypes.append(d)
    attrs = {a: decode_attr(a, v) for a, v in zip(spec.attrs, enc_attrs)}
    if spec.kind == "elementwise" and op not in ("cast",) and "comparison" not in spec.tags:
        floats = dtypes[1:] if op == "where" else dtypes
        if "bool" in floats or "int32" in dtypes or "int64" in dtypes:
            return None
    # ``where``'s condition may have any dtype (NumPy tests truthiness), as ``ir.apply``
    # accepts it: an e-node the IR built must type here too (a stricter check here made
    # the input's own e-node ill-typed and its class unextractable).
    if not _valid_attrs(op, shapes, attrs):
        return None
    try:
        shape = spec.shape_rule(shapes, attrs)
        dtype = spec.dtype_rule(dtypes, attrs)
    except Exception:  # a shape rule's mismatch: the combination is ill-typed
        return None
    return type_id(tuple(shape), dtype)


def _type_rows(t: int) -> list[Row]:
    shape, dtype = type_value(t)
    rows: list[Row] = [("tyshape", (t,), shape_id(shape)), ("tydtype", (t,), dtype),
                       ("tyrank", (t,), len(shape))]
    if all(isinstance(d, int) for d in shape):  # symbolic dims (jit shapes): no size
        rows.append(("tysize", (t,), math.prod(shape)))
    return rows


_CLOSURE_MEMO: dict[tuple, list[Row]] = {}


def tables(nodes: Iterable[Node], extra_attrs: dict[str, set] | None = None,
           rounds: int = 2) -> list[Row]:
    """Rows of every type table for a graph's nodes (closed ``rounds`` times)."""
    nodes = list(nodes)
    universe: set[int] = {node_type(n) for n in nodes}
    universe |= {type_id((), d) for d in ("float32", "float64", "bool")}
    cands: dict[str, set] = {k: set(v) for k, v in (extra_attrs or {}).items()}
    cands.setdefault("keepdims", set()).update({0, 1})
    cands.setdefault("dtype", set()).update({"float32", "float64", "bool"})
    own: dict[tuple, int] = {}
    graph_attrs: dict[str, set] = {}  # the attribute values the graph's own nodes use
    for n in nodes:  # every combination the graph itself uses
        if OPS[n.op].kind == "leaf":
            continue
        enc = tuple(encode_attr(a, n.attr(a)) for a in OPS[n.op].attrs)
        for a, v in zip(OPS[n.op].attrs, enc):
            cands.setdefault(a, set()).add(v)
            graph_attrs.setdefault(a, set()).add(v)
        if not _is_copy(n.op):
            own[(TABLE_OF[n.op], tuple(node_type(i) for i in n.inputs), enc)] = node_type(n)
    compose_rows = helper_rows(graph_attrs, cands)  # attribute helpers; values join cands
    key = (frozenset(universe), tuple(sorted((k, frozenset(v)) for k, v in cands.items())),
           rounds)
    rows = _CLOSURE_MEMO.get(key)
    if rows is None:
        if len(_CLOSURE_MEMO) > 256:
            _CLOSURE_MEMO.clear()
        rows = _CLOSURE_MEMO[key] = _closure(universe, cands, rounds)
    rows = rows + compose_rows
    seen = {(r[0], r[1]) for r in rows}
    extra = []
    for (name, ins, enc), out in own.items():  # where() and anything the closure skipped
        if (name, ins + enc) not in seen:
            extra.append((name, ins + enc, out))
            extra.extend(_type_rows(out))
    return rows + extra


# Rows each attribute helper's table may get per graph (pairs of candidate values).
MAX_HELPER_PAIRS = 4096


def helper_rows(graph_attrs: dict[str, set], cands: dict[str, set], rounds: int = 2
                ) -> list[Row]:
    """Rows of every attribute helper's table (``ir/attr_helpers.py``: the composed slices,
    permutations, shapes and axes) over the attribute values the graph's own nodes use
    (``graph_attrs``), closed ``rounds`` times: the values they compute join both maps, so
    the type tables (``cands``) also cover the layout nodes the rules build with them."""
    rows: list[Row] = []
    for h in ATTR_HELPERS.values():
        done: set[tuple] = set()
        for _ in range(rounds):
            pools = [sorted(graph_attrs.get(kind, ())) for kind in h.args]
            if not all(pools) or math.prod(len(p) for p in pools) > MAX_HELPER_PAIRS:
                break
            new: set[int] = set()
            for ids in itertools.product(*pools):
                if ids in done:
                    continue
                done.add(ids)
                got = h(*(decode_attr(kind, i) for kind, i in zip(h.args, ids)))
                if got is None:
                    continue
                out = encode_attr(h.result, got)
                rows.append((h.table, ids, out))
                if out not in graph_attrs.get(h.result, ()):
                    new.add(out)
            if not new:
                break
            graph_attrs.setdefault(h.result, set()).update(new)
            cands.setdefault(h.result, set()).update(new)
    return rows


# Up to this many types, where(c, a, b) gets type rows for every boolean condition and
# pair of same-dtype branches (rules such as the softmax shift and the guard-free
# alternatives build where() nodes the graph did not have).
WHERE_UNIVERSE = 40


def _plausible_where(ins: tuple[int, ...]) -> bool:
    """A where() that rules build: a boolean condition shaped like the first branch, a
    second branch of the same type or a scalar of its dtype (``where(x >= 0, x, nan)``,
    the softmax shift's ``where(m - t > 0, m, 0)``)."""
    (cs, cd), (as_, ad), (bs, bd) = (type_value(t) for t in ins)
    return cd == "bool" and ad == bd != "bool" and cs == as_ and bs in ((), as_)


def _closure(universe: set[int], cands: dict[str, set], rounds: int) -> list[Row]:
    universe = set(universe)
    cands = {k: set(v) for k, v in cands.items()}
    seen_rows: set[tuple] = set()
    rows: list[Row] = []
    done: set[int] = set()
    for _ in range(rounds):
        for s, _d in [type_value(t) for t in universe]:
            cands.setdefault("shape", set()).add(shape_id(s))
            cands.setdefault("axis", set()).add(tuple_id("axis", tuple(range(len(s)))))
            cands.setdefault("axes", set()).add(tuple_id("axes", tuple(reversed(range(len(s))))))
        new: set[int] = set()
        fresh = universe - done
        for name, ops in _GROUPS.items():
            spec = OPS[ops[0]]
            attr_choices = [sorted(cands.get(a, ()), key=str) for a in spec.attrs]
            restricted = spec.arity >= 3 and len(universe) > 8
            if restricted and len(universe) > WHERE_UNIVERSE:
                continue  # where(): only the graph's own combinations (see tables)
            if spec.kind == "gather" and ops[0] != "concatenate":
                continue  # gathers, scatters, pads: no rule builds them; the graph's own rows
            for ins in itertools.product(sorted(universe), repeat=spec.arity):
                if not any(t in fresh for t in ins):
                    continue
                if restricted and not _plausible_where(ins):
                    continue
                for enc in itertools.product(*attr_choices):
                    key = (name, ins, enc)
                    if key in seen_rows:
                        continue
                    seen_rows.add(key)
                    out = result_type(ops[0], ins, enc)
                    if out is not None:
                        rows.append((name, ins + enc, out))
                        new.add(out)
        done |= fresh
        if len(universe | new) > MAX_UNIVERSE:
            universe |= set(sorted(new)[: max(0, MAX_UNIVERSE - len(universe))])
            break
        universe |= new
    all_types = universe | {r[2] for r in rows}
    for t in sorted(all_types):
        rows.extend(_type_rows(t))
    for d in ("float32", "float64", "bool"):
        rows.append(("scalarty", (d,), type_id((), d)))
    return rows
