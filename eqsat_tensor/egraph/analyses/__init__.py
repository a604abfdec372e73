"""E-class analyses, one module each: their egglog declarations and rules.

Each module states its lattice and ``merge`` in its docstring and exposes
``declarations() -> str`` and ``rules(ruleset) -> str`` (egglog text). Guards of rewrite
rules read only these facts (never "this class contains node N", egg#297).
"""

from __future__ import annotations

from typing import Any

from ...ir import Graph
from . import constant, finite, interval, sign, types

MODULES = (types, sign, interval, finite, constant)
RULESET = "analysis"


def declarations() -> str:
    """Declarations of every analysis."""
    return "\n".join(m.declarations() for m in MODULES)


def _one_element_reductions(ruleset: str, ieee: str) -> list[str]:
    """A reduction whose operand has as many elements as its result (every reduced axis
    has extent 1) is a reshape of its operand, for the ops the op table tags so (the tag
    ``identity_on_one_but_zero_sign`` only outside ``ieee="strict"``)."""
    from ...ir import OPS
    from ..schema import ctor

    tags = {"identity_on_one"} | ({"identity_on_one_but_zero_sign"} if ieee != "strict"
                                  else set())
    out = []
    for op, spec in OPS.items():
        if spec.kind != "reduction" or not spec.tags & tags:
            continue
        wild = " ".join(f"w{i}" for i in range(len(spec.attrs)))
        out.append(f"(rule ((= e ({ctor(op)} x {wild})) (= t (ty e)) (= tx (ty x)) "
                   "(= n (tysize t)) (= n (tysize tx)) (= d (tydtype t)) (= d (tydtype tx)) "
                   f"(= s (tyshape t))) ((union e (Reshape x s))) :ruleset {ruleset} "
                   f":name \"one-element-{op}\")")
    return out


def rules(ruleset: str = RULESET, ieee: str = "finite") -> str:
    """Rules of every analysis, plus the type-driven cleanup of no-op layout nodes and of
    reductions over one element."""
    cleanup = (f"(rule ((= e (BroadcastTo x s)) (= s (tyshape (ty x)))) "
               f"((union e x) (subsume (BroadcastTo x s))) :ruleset {ruleset} "
               ":name \"noop-broadcast_to\")\n"
               f"(rule ((= e (Reshape x s)) (= s (tyshape (ty x)))) "
               f"((union e x) (subsume (Reshape x s))) :ruleset {ruleset} "
               ":name \"noop-reshape\")\n"
               f"(rule ((= e (Transpose x p)) (= p (idaxes (tyrank (ty x))))) "
               f"((union e x) (subsume (Transpose x p))) :ruleset {ruleset} "
               ":name \"noop-transpose\")\n"
               f"(rule ((= e (Cast x d)) (= d (tydtype (ty x)))) "
               f"((union e x) (subsume (Cast x d))) :ruleset {ruleset} :name \"noop-cast\")")
    return "\n".join([*(m.rules(ruleset) for m in MODULES), cleanup,
                      *_one_element_reductions(ruleset, ieee)])


def seed_facts(graph: Graph, ieee: str) -> list[tuple[str, int, Any]]:
    """Analysis facts of the graph's own nodes, computed in Python with each analysis's
    ``transfer`` mirror in one topological pass: ``(function or relation, node index,
    value)``. Seeding them spares egglog one saturation iteration per level of depth
    (2,000 iterations for a deep 10,000-node graph); rules still derive the facts of the
    e-nodes that rewrites add, and any fact the seed misses."""
    out: list[tuple[str, int, Any]] = []
    signs: dict[int, set[str]] = {}
    bounds: dict[int, tuple] = {}
    fin: dict[int, bool] = {}
    defined: dict[int, bool] = {}
    strict = ieee == "strict"
    compared = finite.compared_nodes(list(graph.nodes()))
    for i, node in enumerate(graph.nodes()):
        out.append(("ty", i, types.node_type(node)))
        value = node.value if node.op == "constant" and node.ndim == 0 else None
        value = float(value) if value is not None else None
        ins = [n.uid for n in node.inputs]
        bnd = interval.transfer(node.op, value, [bounds[u] for u in ins])
        bounds[node.uid] = bnd
        sg = sign.transfer(node.op, value, [signs[u] for u in ins]) | interval.sign_facts(bnd)
        signs[node.uid] = sign._implied(sg)
        for fact in sorted(sign.base_facts(signs[node.uid])):
            out.append((fact, i, None))
        if bnd[0] is not None:
            out.append(("lo", i, float(bnd[0])))
        if bnd[1] is not None:
            out.append(("hi", i, float(bnd[1])))
        defined[node.uid] = finite.defined_transfer(
            node.op, value, [defined[u] for u in ins], [signs[u] for u in ins])
        if defined[node.uid]:
            out.append(("defined", i, None))
        # under ieee="finite" the inputs are finite by the contract (guards read `safe`)
        fin[node.uid] = (node.op == "input" and not strict) or finite.transfer(
            node.op, value, [fin[u] for u in ins])
        if fin[node.uid]:
            out.append(("finite", i, None))
        if node.uid not in compared:
            out.append(("uncompared", i, None))
    return out
