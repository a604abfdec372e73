"""``et.optimize``: a graph goes into an egglog e-graph, the rule phases saturate under a
``Budget``, and the cheapest equivalent graph comes out.

The pipeline, one step per module of ``egraph/``:

1. fold constant sub-graphs with NumPy (``fold``);
2. compile the rules for the ``ieee`` mode (``compiler``; cached per rule set);
3. insert the graph and its type tables (``bridge``, ``analyses.types``, ``engine``);
4. run canonicalize -> stability -> specialize within the budget (``schedule``);
5. extract the cheapest acyclic, well-typed graph (``extract``, ``cost``), rebuild it as
   IR (``bridge``) and fold again.

If anything inside fails, the input graph is returned unchanged and the report says so
(``Report.fallback`` and a note); pass ``fallback=False`` to get the error instead.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from . import graph_cache
from .cost import CostModel, load_cost_model
from .egraph import schedule as schedule_mod
from .egraph.budget import Budget
from .egraph.compiler import CompiledRules, compile_rules
from .egraph.engine import Session
from .egraph.extract import Extractor, Selection, snapshot
from .egraph.fold import fold_constants
from .errors import EqsatError, RuleError
from .ir import Graph, Node
from .report import Report
from .rulelang.ast import RuleSet


class OptimizationError(EqsatError, RuntimeError):
    """The optimizer failed internally (raised only with ``fallback=False``)."""


def _as_graph(obj: Any) -> Graph:
    if isinstance(obj, Graph):
        return obj
    if isinstance(obj, Node):
        return Graph(obj)
    from .frontend.tensor import as_graph

    return as_graph(obj)


def _default_rules() -> tuple[RuleSet, str | None]:
    try:
        from .rulelang import default_rules
    except ImportError:
        return RuleSet("none"), "rule files not available (eqsat_tensor.rulelang.default_rules)"
    return default_rules(), None


_COMPILED: dict[Any, CompiledRules] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(rules: RuleSet, ieee: str) -> tuple[Any, CompiledRules]:
    try:
        key: Any = (rules, ieee)
        hash(key)
    except TypeError:
        key = (id(rules), ieee)
    with _COMPILED_LOCK:
        got = _COMPILED.get(key)
        if got is None:
            if len(_COMPILED) > 32:
                _COMPILED.clear()
            got = _COMPILED[key] = compile_rules(rules, ieee)
    return key, got


@dataclass
class OptimizeResult:
    """The optimized ``graph`` (same inputs, in the same order, as the original), the
    ``report``, and ``explain()``: the rewrite steps from the input to the output."""

    graph: Graph
    report: Report
    original: Graph
    rules: RuleSet = field(repr=False, default_factory=lambda: RuleSet("none"))
    ieee: str = "finite"
    candidates: list[Graph] = field(default_factory=list, repr=False)
    _explanation: Any = field(default=None, repr=False)

    def explain(self) -> Any:
        """The chain of rules turning the input into the output, as before/after steps
        (reconstructed by replaying the fired rules one at a time; egglog records no
        proofs). ``str()`` of the result prints the steps."""
        if self._explanation is None:
            from .egraph.explain import explain

            self._explanation = explain(self.original, self.graph, self.rules, self.ieee,
                                        self.report.rules_fired)
        return self._explanation


def optimize(graph_or_tensor: Any, rules: Any = None, budget: Budget | None = None,
             ieee: str = "finite", *, schedule: schedule_mod.Schedule | None = None,
             cost_model: CostModel | None = None, fallback: bool = True,
             candidates: int = 1, precondition: dict[str, tuple[float, float]] | None = None,
             objective: str | None = None) -> OptimizeResult:
    """Optimize a graph (a ``Graph``, ``Node`` or ``Tensor``) by equality saturation.

    ``rules`` (a ``RuleSet``, or paths/text for ``et.load_rules``) defaults to
    ``et.default_rules()``, ``budget`` to ``Budget()`` (its ``seconds`` bound the whole
    call, extraction included), ``ieee`` is
    ``"finite"`` (inputs assumed finite) or ``"strict"`` (only rules tagged ``strict``).
    ``candidates > 1`` also keeps that many alternative extractions in
    ``result.candidates``. Returns an ``OptimizeResult``.

    ``precondition`` (``{"x": (lo, hi)}``) or ``objective`` (``"accuracy"``, ``"balanced"``,
    ``"speed"``) hands the graph to the accuracy optimizer (``eqsat_tensor.accuracy``):
    candidates are measured against an mpmath oracle on inputs sampled in the box, and the
    report includes bits of error before and after.
    """
    if ieee not in ("finite", "strict"):
        raise ValueError(f"ieee must be 'finite' or 'strict', got {ieee!r}")
    graph = _as_graph(graph_or_tensor)
    if precondition is not None or objective is not None:
        from .accuracy import optimize_accuracy

        return optimize_accuracy(graph, precondition, objective or "accuracy", rules=rules,
                                 budget=budget, ieee=ieee, cost_model=cost_model,
                                 fallback=fallback)
    notes: list[str] = []
    if rules is None:
        rules, note = _default_rules()
        if note:
            notes.append(note)
    elif not isinstance(rules, RuleSet):  # a rule file path, rule text, or a list of them
        from .rulelang import load_rules

        rules = load_rules(rules)
    budget = budget or Budget()
    model = cost_model or load_cost_model()
    report = Report(nodes_before=len(graph), cost_model=model.describe(), notes=notes)
    t0 = time.perf_counter()
    cache_key = graph_cache.request_key(graph, rules, budget, ieee, model, schedule is None
                                        and cost_model is None and candidates == 1)
    hit = graph_cache.lookup(cache_key, graph) if cache_key else None
    try:
        if hit is not None:  # a new process skips saturation and extraction
            out, alts = hit[0], []
            graph_cache.restore_report(report, hit[1])
        else:
            out, alts = _optimize(graph, rules, budget, ieee, schedule, model, report,
                                  candidates, t0)
    except (KeyboardInterrupt, SystemExit, RuleError):
        raise  # a rule the compiler rejects is the user's error, not an internal failure
    except BaseException as exc:  # egglog panics are BaseExceptions
        if not fallback:
            raise OptimizationError(f"optimizer failed: {type(exc).__name__}: {exc}") from exc
        msg = f"optimizer failed ({type(exc).__name__}: {exc}); returned the input graph"
        warnings.warn(f"eqsat-tensor: {msg}", RuntimeWarning, stacklevel=2)
        report.fallback = True
        report.notes.append(msg)
        out, alts = graph, []
    report.seconds = time.perf_counter() - t0
    report.nodes_after = len(out)
    report.cost_before = report.cost_before or model.graph_cost(graph)
    if out is graph:
        report.cost_after = report.cost_before
    elif not report.cost_after:
        report.cost_after = model.graph_cost(out)
    report.before, report.after = _text(graph), _text(out)
    if cache_key and hit is None and not report.fallback:
        graph_cache.store(cache_key, out, graph_cache.report_fields(report))
    return OptimizeResult(out, report, graph, rules, ieee, alts)


def _optimize(graph: Graph, rules: RuleSet, budget: Budget, ieee: str,
              sched: schedule_mod.Schedule | None, model: CostModel, report: Report,
              n_candidates: int, started: float) -> tuple[Graph, list[Graph]]:
    from .egraph.bridge import selection_to_graph
    from .egraph.extract import EXTRACTOR_NAME

    timings = report.timings
    t = time.perf_counter()
    folded = fold_constants(graph)
    key, compiled = _compiled(rules, ieee)
    report.notes.extend(compiled.notes)
    timings["compile"] = time.perf_counter() - t
    t = time.perf_counter()
    with Session(key, compiled) as session:
        t_insert = time.perf_counter()  # after building the program (once per thread)
        session.insert(folded, compiled.attr_literals, ieee)
        session.run_analysis()
        timings["insert"] = time.perf_counter() - t
        # Extraction costs about what insertion did per node: keep that much time back.
        per_node = (time.perf_counter() - t_insert) / max(1, len(folded))
        log = schedule_mod.run(session, sched or schedule_mod.default_schedule(), budget,
                               started, per_node)
        timings["saturate"] = sum(log.phase_seconds.values())
        t = time.perf_counter()
        snap = snapshot(session.egraph)
        index = session.index
    report.iterations = log.iterations
    report.phase_seconds = dict(log.phase_seconds)
    report.phase_iterations = dict(log.phase_iterations)
    report.stop_reason = log.stop_reason
    fired: dict[str, int] = {}
    for _, counts in log.matches:
        for name, c in counts.items():
            rule = compiled.rule_of(name)
            if rule is not None:
                fired[rule] = fired.get(rule, 0) + c
    report.rules_fired = fired
    report.egraph_nodes = len(snap.nodes)
    report.egraph_classes = snap.n_classes
    roots = [snap.index_class[index[o.uid]] for o in folded.outputs]
    extractor = Extractor(snap, model)
    report.extractor = EXTRACTOR_NAME
    sels: list[Selection] = extractor.candidates(roots, max(1, n_candidates))
    graphs = []
    for sel in sels:
        g = fold_constants(selection_to_graph([(n.cls, n.op, list(n.children), n.attrs)
                                               for n in sel.order], sel.roots, graph))
        _check_signature(graph, g)
        graphs.append(g)
    timings["extract"] = time.perf_counter() - t
    best = graphs[0]
    cost_in = model.graph_cost(folded)
    report.cost_before = cost_in if folded is graph else model.graph_cost(graph)
    report.cost_after = model.graph_cost(best)
    if report.cost_after > cost_in:
        report.notes.append("the extracted graph cost more than the input; kept the input")
        best, report.cost_after = folded, cost_in
    return best, graphs


def _text(graph: Graph, limit: int = 2000) -> str:
    if len(graph) > limit:
        return f"({len(graph)}-node graph, {len(graph.outputs)} output(s); print it to see it)"
    return str(graph)


def _check_signature(original: Graph, new: Graph) -> None:
    for a, b in zip(original.outputs, new.outputs):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise OptimizationError(f"extracted output has shape {b.shape} {b.dtype}, the "
                                    f"original {a.shape} {a.dtype}")
