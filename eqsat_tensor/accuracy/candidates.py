"""Candidate graphs for the accuracy optimizer, extracted from one saturated e-graph.

``enumerate_candidates`` runs the engine's pipeline (``egraph.pipeline``: fold, compile,
insert, the runner under the budget, snapshot) once, with the precondition's box given to the
interval analysis, then extracts:

* the best few selections by cost (``Extractor.candidates``) under three weightings of the
  cost model: as configured, speed only (no accuracy term) and a strong accuracy term;
* the locally most accurate alternatives: in the cost-best graph, the nodes with the
  highest local error (``accuracy.local_error``) are found, and every other well-typed
  e-node of their e-class is forced in turn (``Extractor.select(roots, {class: e-node})``),
  so an accurate form that costs more still gets measured.

Each candidate is returned with its origin (``"cost#0"``, ``"local:sub#2"``...).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ..cost import CostModel
from ..egglog_bindings import bindings as b
from ..egraph.bridge import SPAN, build_node, lit, ref
from ..egraph.budget import Budget
from ..egraph.compiler import compile_rules, compiled_rules
from ..egraph.engine import Session
from ..egraph.extract import EXTRACTOR_NAME, Extractor, Selection
from ..egraph.fold import fold_constants
from ..egraph.pipeline import Saturated, saturate
from ..ir import Graph, Node
from ..report import Report
from ..rulelang.ast import RuleSet
from .measure import Samples, local_error

# how many candidates: per cost weighting, nodes of highest local error, e-nodes per class
PER_MODEL = 4
LOCAL_NODES = 4
PER_CLASS = 4
LOCAL_MIN_BITS = 0.5  # nodes with less local error are not worth alternatives
LOCAL_SAMPLES = 256

_COMPILABLE: dict[Any, RuleSet] = {}


def compilable(rules: RuleSet, ieee: str) -> tuple[RuleSet, list[str]]:
    """``rules`` without the rules the engine's compiler rejects (each is tried alone), and
    the names dropped. Cached per rule set."""
    try:
        key: Any = (rules, ieee)
        hash(key)
    except TypeError:
        key = (id(rules), ieee)
    got = _COMPILABLE.get(key)
    if got is not None:
        return got, [r.name for r in rules.rules if r not in got.rules]
    try:
        compile_rules(rules, ieee)
        kept = rules
    except Exception:  # noqa: BLE001 - find the offending rules one by one
        ok = []
        for r in rules.rules:
            try:
                compile_rules(RuleSet("one", (r,)), ieee)
            except Exception:  # noqa: BLE001
                continue
            ok.append(r)
        kept = RuleSet(rules.name, tuple(ok), rules.vjps, rules.files)
    if len(_COMPILABLE) > 16:
        _COMPILABLE.clear()
    _COMPILABLE[key] = kept
    return kept, [r.name for r in rules.rules if r not in kept.rules]


def warm_up(rules: RuleSet, ieee: str) -> None:
    """Compile ``rules`` and build the engine's egglog program for them (both cached) before
    the budget's clock starts: on a first call, or a loaded machine, the set-up alone can
    take longer than the saturation's whole time budget, leaving no iteration at all."""
    key, compiled = compiled_rules(rules, ieee)
    with Session(key, compiled):
        pass


def _seed_bounds(session: Session, graph: Graph, index: dict[int, int],
                 precondition: dict[str, tuple[float, float]]) -> None:
    """Give the input boxes to the interval analysis (``lo``/``hi`` of the input classes)."""
    cmds = []
    for node in graph.inputs:
        if node.name not in precondition or node.uid not in index:
            continue
        lo, hi = precondition[node.name]
        i = index[node.uid]
        cmds.append(b.ActionCommand(b.Set(SPAN, "lo", [ref(i)], lit(float(lo)))))
        cmds.append(b.ActionCommand(b.Set(SPAN, "hi", [ref(i)], lit(float(hi)))))
    if cmds:
        session.egraph.run_program(*cmds)


def _build(sel: Selection, original: Graph) -> tuple[Graph, dict[int, int]]:
    """The graph of a selection and, per built node uid, its e-class."""
    by_name = {n.name: n for n in original.inputs}
    built: dict[int, Node] = {}
    cls_of: dict[int, int] = {}
    for n in sel.order:
        node = build_node(n.op, [built[c] for c in n.children], n.attrs, by_name)
        built[n.cls] = node
        cls_of.setdefault(node.uid, n.cls)
    return Graph([built[r] for r in sel.roots], original.inputs), cls_of


def _finish(g: Graph, original: Graph) -> Graph | None:
    g = fold_constants(g)
    for a, c in zip(original.outputs, g.outputs):
        if a.shape != c.shape or a.dtype != c.dtype:
            return None
    return g


def enumerate_candidates(graph: Graph, rules: RuleSet, budget: Budget, ieee: str,
                         model: CostModel, samples: Samples, report: Report | None = None
                         ) -> list[tuple[Graph, str]]:
    """Candidate graphs equivalent to ``graph`` (see the module docstring), with their
    origins. Fills the e-graph fields of ``report`` when given."""
    rules, dropped = compilable(rules, ieee)
    warm_up(rules, ieee)

    def seed(session: Session, folded: Graph) -> None:
        _seed_bounds(session, folded, session.index, samples.precondition)

    sat = saturate(graph, rules, budget, ieee, started=time.perf_counter(), seed=seed)
    folded, snap, roots = sat.folded, sat.snap, sat.roots
    if report is not None:
        _fill_report(report, sat, dropped)
    out: list[tuple[Graph, str]] = []
    weights = [("cost", model), ("speed", replace(model, accuracy_ns=0.0)),
               ("stable", replace(model, accuracy_ns=model.accuracy_ns * 50))]
    extractors = []
    for name, m in weights:
        ex = Extractor(snap, m)
        extractors.append(ex)
        for j, sel in enumerate(ex.candidates(roots, PER_MODEL)):
            g = _finish(_build(sel, folded)[0], graph)
            if g is not None:
                out.append((g, f"{name}#{j}"))
    for ex, label in ((extractors[0], "root"), (extractors[2], "root-stable")):
        for r in dict.fromkeys(roots):
            for i in alternatives(ex, r)[:PER_MODEL]:
                try:
                    sel = ex.select(roots, {r: i})
                except LookupError:
                    continue
                g = _finish(_build(sel, folded)[0], graph)
                if g is not None:
                    out.append((g, f"{label}:{ex.snap.nodes[i].op}"))
    for ex, label in ((extractors[0], "local"), (extractors[2], "local-stable")):
        out += _local_alternatives(ex, roots, folded, graph, samples, label)
    out += _self_referencing(extractors[0], roots, folded, graph)
    return out


SELF_REFERENCING = 4  # at most this many e-nodes that take their own class as an operand


def _self_referencing(ex: Extractor, roots: list[int], folded: Graph, graph: Graph
                      ) -> list[tuple[Graph, str]]:
    """Candidates with an e-node that takes its own class as an operand: ``where(c, new,
    lhs)`` from a rule that keeps its left side outside the region where the new form is
    accurate (``rules/accuracy.rules``: ``pow-diff-pos``). No extraction can choose such an
    e-node (it is a cycle), but it is a well-defined graph when the operand that is the
    class itself is computed by the class's own best choice: the best selection, with
    that e-node put in at its class."""
    snap = ex.snap
    try:
        base = ex.select(roots)
    except Exception:  # noqa: BLE001 - nothing to add to
        return []
    in_base = {e.cls for e in base.order}
    by_name = {n.name: n for n in folded.inputs}
    out: list[tuple[Graph, str]] = []
    for cls in in_base:
        for i in _members(snap).get(cls, []):
            n = snap.nodes[i]
            if cls not in n.children or not ex._valid[i] or len(out) >= SELF_REFERENCING:
                continue
            others = list(dict.fromkeys(c for c in n.children if c != cls))
            try:
                sel = ex.select(list(dict.fromkeys(roots + others)))
            except Exception:  # noqa: BLE001 - an operand with no acyclic choice
                continue
            built: dict[int, Node] = {}
            for e in sel.order:
                built[e.cls] = build_node(e.op, [built[c] for c in e.children], e.attrs,
                                          by_name)
            new = build_node(n.op, [built[c] for c in n.children], n.attrs, by_name)
            swapped: dict[int, Node] = {}
            for e in sel.order:
                swapped[e.cls] = new if e.cls == cls else build_node(
                    e.op, [swapped[c] for c in e.children], e.attrs, by_name)
            g = _finish(Graph([swapped[r] for r in roots], folded.inputs), graph)
            if g is not None:
                out.append((g, f"self:{n.op}"))
    return out


def alternatives(ex: Extractor, cls: int) -> list[int]:
    """The e-nodes of class ``cls`` other than the chosen one whose children all have a
    chosen e-node, cheapest first (own cost plus the children's costs). Unlike
    ``Extractor.node_cost`` this includes e-nodes that became ready only after their class
    was settled, such as a costlier but more accurate form at a root. (``select`` rejects
    the cyclic ones; ill-typed e-nodes, by the extractor's type check, are skipped.)"""
    snap = ex.snap
    chosen = ex.best.get(cls)
    out = []
    for i in _members(snap).get(cls, []):
        n = snap.nodes[i]
        if (i == chosen or not ex._valid[i] or cls in n.children
                or any(c not in ex.best for c in n.children)):
            continue
        out.append((ex.own_cost(i) + sum(ex.cost[c] for c in set(n.children)), i))
    return [i for _, i in sorted(out)]


_MEMBERS: dict[int, tuple[Any, dict[int, list[int]]]] = {}


def _members(snap: Any) -> dict[int, list[int]]:
    """e-node indices per class of a snapshot (cached for the last snapshot)."""
    got = _MEMBERS.get(id(snap))
    if got is not None and got[0] is snap:
        return got[1]
    by: dict[int, list[int]] = {}
    for i, n in enumerate(snap.nodes):
        by.setdefault(n.cls, []).append(i)
    _MEMBERS.clear()
    _MEMBERS[id(snap)] = (snap, by)
    return by


def _local_alternatives(ex: Extractor, roots: list[int], folded: Graph, graph: Graph,
                        samples: Samples, label: str) -> list[tuple[Graph, str]]:
    """Force each alternative e-node at the classes of the worst local-error nodes."""
    base, cls_of = _build(ex.select(roots), folded)
    n = min(samples.n, LOCAL_SAMPLES)
    sub = Samples({k: v[:n] for k, v in samples.inputs.items()}, [], samples.precondition)
    errors = local_error(base, sub)
    out: list[tuple[Graph, str]] = []
    for node, bits in list(errors.items())[:LOCAL_NODES]:
        if bits < LOCAL_MIN_BITS or node.uid not in cls_of:
            continue
        cls = cls_of[node.uid]
        for i in alternatives(ex, cls)[:PER_CLASS]:
            try:
                sel = ex.select(roots, {cls: i})
            except LookupError:
                continue
            g = _finish(_build(sel, folded)[0], graph)
            if g is not None:
                out.append((g, f"{label}:{node.op}->{ex.snap.nodes[i].op}"))
    return out


def _fill_report(report: Report, sat: Saturated, dropped: list[str]) -> None:
    sat.fill_report(report)
    report.extractor = f"{EXTRACTOR_NAME}; candidates measured against mpmath"
    if dropped:
        report.notes.append(f"rules the compiler rejected, left out: {', '.join(dropped)}")
