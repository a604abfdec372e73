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

import dataclasses
import time
import warnings
from typing import TYPE_CHECKING, Any

from . import graph_cache
from .cost import CostModel, load_cost_model
from .egraph import schedule as schedule_mod
from .egraph import windows
from .egraph.analyses.interval import graph_bounds
from .egraph.budget import (
    EXTRACTION_FAILED,
    EXTRACTION_TIME_LIMIT,
    SATURATED,
    TIME_LIMIT,
    Budget,
    OutOfTime,
)
from .egraph.extract import EXTRACTOR_NAME, ExtractionError, Extractor, Selection
from .egraph.fold import fold_constants
from .egraph.result import OptimizationError, OptimizeResult, graph_of
from .errors import DTypeError, RuleError, ShapeError
from .ir import Graph
from .progress import phase as progress_phase
from .progress import saturation_done
from .report import Report
from .rulelang.ast import RuleSet

if TYPE_CHECKING:  # (the pipeline imports egglog: only when a graph is saturated)
    from .egraph.pipeline import Saturated

__all__ = ["optimize", "OptimizeResult", "OptimizationError"]

# Python work per graph node of insertion (not interruptible), in units of the time the
# first constant-folding pass took per node (measured ~10x; the optimizer predicts from
# it whether the e-graph can be built within the budget at all).
PIPELINE_FOLD_RATIO = 12.0
# Extraction must end by ``EXTRACT_BY x seconds`` (+ ``EXTRACT_SLACK``) after the start,
# leaving the rest of ``1.5 x seconds + 0.5`` to rebuild the graph and write the report.
EXTRACT_BY = 1.2
EXTRACT_SLACK = 0.2


def optimize(graph_or_tensor: Any, rules: Any = None, budget: Budget | None = None,
             ieee: str = "finite", *, schedule: schedule_mod.Schedule | None = None,
             cost_model: CostModel | None = None, fallback: bool = True,
             candidates: int = 1, precondition: dict[str, tuple[float, float]] | None = None,
             objective: str | None = None, progress: bool = False,
             check_rules: bool = True, backend: str | None = None) -> OptimizeResult:
    """Optimize a graph (a ``Graph``, ``Node`` or ``Tensor``) by equality saturation.

    ``rules`` (a ``RuleSet``, or paths/text for ``et.load_rules``) defaults to
    ``et.default_rules()``, ``budget`` to ``Budget()`` (its ``seconds`` bound the whole
    call, extraction included), ``ieee`` is
    ``"finite"`` (inputs assumed finite), ``"strict"`` (only rules tagged ``strict``) or
    ``"fast"`` (also rules tagged ``fast``, exact only in real arithmetic; docs/soundness.md).
    ``candidates > 1`` also keeps that many alternative extractions in
    ``result.candidates``. Returns an ``OptimizeResult``.

    ``precondition`` (``{"x": (lo, hi)}``) or ``objective`` (``"accuracy"``, ``"balanced"``,
    ``"speed"``) hands the graph to the accuracy optimizer (``eqsat_tensor.accuracy``):
    candidates are measured against an mpmath oracle on inputs sampled in the box, and the
    report includes bits of error before and after.

    ``progress=True`` shows a progress display (saturation iterations and e-graph size,
    extraction) when the call takes more than half a second (see ``et.progress``).

    ``backend`` (``"numba"``, ``"numpy"``, ...) is where the graph will run: its cost
    table is used (``et.load_cost_model(backend=...)``; None: the backend-neutral model)
    unless ``cost_model`` is given. The result is never a graph the model rates slower
    than the input unless it is more accurate (see ``_never_slower``).

    ``check_rules`` (default True): rules not shipped with eqsat-tensor get a quick
    soundness check the first time they are used (at most ~2 s, cached by rule text; a
    warning names each unsound or accuracy-losing rule). ``EQSAT_TENSOR_CHECK_RULES=0``
    turns it off everywhere.
    """
    if progress:
        from .progress import progress as _show

        with _show():
            return optimize(graph_or_tensor, rules, budget, ieee, schedule=schedule,
                            cost_model=cost_model, fallback=fallback, candidates=candidates,
                            precondition=precondition, objective=objective,
                            check_rules=check_rules, backend=backend)
    t0 = time.perf_counter()
    if ieee not in ("finite", "strict", "fast"):
        raise ValueError(f"ieee must be 'finite', 'strict' or 'fast', got {ieee!r}")
    graph = graph_of(graph_or_tensor)
    if precondition is not None or objective is not None:
        from .accuracy import optimize_accuracy

        return optimize_accuracy(graph, precondition, objective or "accuracy", rules=rules,
                                 budget=budget, ieee=ieee, cost_model=cost_model,
                                 fallback=fallback)
    notes: list[str] = []
    shipped = rules is None  # the default rules: keyed by their files, parsed on a miss
    if not shipped and not isinstance(rules, RuleSet):  # a path, rule text, or a list
        from .rulelang import load_rules

        rules = load_rules(rules)
    budget = Budget.coerce(budget)
    if check_rules and not shipped:  # user rules: a quick soundness check on first use
        from .testing.check import warn_unchecked

        # within a quarter of the budget (rules not reached are checked on a later call)
        notes += warn_unchecked(rules, seconds=min(2.0, max(0.05, 0.25 * budget.seconds)))
    model = cost_model or load_cost_model(backend=backend)
    report = Report(nodes_before=len(graph), cost_model=model.describe(), notes=notes)
    cache_key = graph_cache.request_key(graph, rules, budget, ieee, model, schedule is None
                                        and cost_model is None and candidates == 1)
    hit = graph_cache.lookup(cache_key, graph) if cache_key else None
    if shipped and hit is None:
        from .rulelang import default_rules

        rules = default_rules()
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
    report.cost_before = report.cost_before or _graph_cost(model, graph)
    if out is graph:
        report.cost_after = report.cost_before
    elif not report.cost_after:
        report.cost_after = _graph_cost(model, out)
    report.before, report.after = _text(graph), _text(out)
    report.graphs = (graph, out)
    # a result cut short by the clock depends on the machine's load at the time: caching it
    # would serve an under-optimized graph to every later process, so only results that any
    # run with this budget reproduces are stored
    if (cache_key and hit is None and not report.fallback
            and report.stop_reason not in (TIME_LIMIT, EXTRACTION_TIME_LIMIT)):
        graph_cache.store(cache_key, out, graph_cache.report_fields(report))
    return OptimizeResult(out, report, graph, rules, ieee, alts)


def _graph_cost(model: CostModel, graph: Graph) -> float:
    """The graph's DAG cost with the interval analysis's bounds (what extraction saw)."""
    return model.graph_cost(graph, graph_bounds(graph))


def _never_slower(model: CostModel, given: Graph, best: Graph, report: Report) -> Graph:
    """``best``, or ``given`` (the input with its constants folded) where the model rates
    ``best`` no better: its total (time + accuracy) is higher. So a returned graph is
    slower by the model only where it removes accuracy risk (an overflowing or cancelling
    form replaced by a stable one) worth more than the time at the model's
    ``accuracy_ns``; the report then says by how much it is slower. Sets
    ``report.cost_after`` and the modelled times (``time_before``/``time_after``)."""
    t_in, a_in = model.graph_parts(given, graph_bounds(given))
    t_out, a_out = model.graph_parts(best, graph_bounds(best))
    report.time_before, report.time_after = t_in, t_out
    slack = 1e-9 * max(abs(t_in + a_in), 1.0)  # float noise between equal graphs
    if t_out + a_out > t_in + a_in + slack:
        report.notes.append(f"the extracted graph is not better by the cost model ({t_out:.4g}"
                            f" vs {t_in:.4g} ns, accuracy term {a_out:.4g} vs {a_in:.4g}); "
                            "kept the input")
        report.cost_after, report.time_after = t_in + a_in, t_in
        return given
    if t_out > t_in + slack:
        report.notes.append(f"the optimized graph is {t_out / t_in - 1:.0%} slower by the "
                            f"cost model ({t_out:.4g} vs {t_in:.4g} ns): kept because it "
                            f"removes accuracy risk (accuracy term {a_in:.4g} -> {a_out:.4g})")
    report.cost_after = t_out + a_out
    return best


def _optimize_windows(folded: Graph, rules: RuleSet, budget: Budget, ieee: str,
                      sched: schedule_mod.Schedule | None, model: CostModel, report: Report,
                      started: float, fold_seconds: float = 0.0
                      ) -> tuple[Graph, list[Graph]]:
    """A graph too big to optimize whole within the budget, optimized window by window
    (``egraph.windows``) until the time is spent; the rest stays as it is. The time kept
    back for splicing and costing the whole graph scales with what folding it took (a
    loaded machine is slower at both)."""
    try:
        parts = windows.split(folded, windows.window_size(budget.seconds))
    except (ShapeError, DTypeError) as exc:  # a shape an input cannot take: whole graph
        report.notes.append(f"windows not built ({exc})")
        return _optimize(folded, rules, budget, ieee, sched, model, report, 1, started,
                         windowed=True)
    done: list[tuple[windows.Window, Graph]] = []
    # keep back what splicing and the report's two costings of the whole graph take
    # (windows may use a fifth past the budget: the contract is 1.5 s + 0.5)
    reserve = max(len(folded) * windows.SPLICE_SECONDS_PER_NODE,
                  windows.SPLICE_VS_FOLD * fold_seconds)
    end = started + 1.2 * budget.seconds - reserve
    report.stop_reason = SATURATED
    total_iterations = 0
    # From the outputs backwards: splicing rebuilds every node downstream of a changed
    # window (hash-consed nodes are immutable), which is few for the last windows.
    for win in reversed(parts):
        need = len(win) * windows.PER_NODE_SECONDS
        left = end - time.perf_counter()
        if left < need + 0.05:
            report.stop_reason = TIME_LIMIT
            break
        t = time.perf_counter()
        graph = win.build()
        seconds = min(end - time.perf_counter(), max(3 * need, 0.3))
        if seconds < 0.05:
            report.stop_reason = TIME_LIMIT
            break
        sub = Report(nodes_before=len(graph))
        wb = dataclasses.replace(budget, seconds=seconds)
        out, _ = _optimize(graph, rules, wb, ieee, sched, model, sub, 1, t, windowed=True)
        # iterations: the most any one window ran (each window's run has the budget's
        # iteration cap); the total over windows goes into the note below
        report.iterations = max(report.iterations, sub.iterations)
        total_iterations += sub.iterations
        report.egraph_nodes = max(report.egraph_nodes, sub.egraph_nodes)
        for name, c in sub.rules_fired.items():
            report.rules_fired[name] = report.rules_fired.get(name, 0) + c
        if sub.stop_reason != SATURATED and report.stop_reason == SATURATED:
            report.stop_reason = sub.stop_reason
        if out is not graph:
            done.append((win, out))
    report.notes.append(f"a {len(folded)}-node graph optimized in windows: {len(done)} of "
                        f"{len(parts)} windows changed within {budget.seconds:g} s "
                        f"({total_iterations} iterations in all)")
    best = windows.splice(folded, done) if done else folded
    if _signature_mismatch(folded, best) is not None:  # never: windows keep signatures
        report.notes.append("windows changed an output's shape or dtype: kept the input")
        best = folded
    return best, [best]


def _optimize(graph: Graph, rules: RuleSet, budget: Budget, ieee: str,
              sched: schedule_mod.Schedule | None, model: CostModel, report: Report,
              n_candidates: int, started: float, windowed: bool = False
              ) -> tuple[Graph, list[Graph]]:
    timings = report.timings
    t = time.perf_counter()
    folded = fold_constants(graph)
    fold_seconds = time.perf_counter() - t
    left = budget.seconds - (time.perf_counter() - started)
    if windows.too_big(len(folded), left) and not windowed:
        return _optimize_windows(folded, rules, budget, ieee, sched, model, report, started,
                                 fold_seconds)
    if fold_seconds * PIPELINE_FOLD_RATIO > left:
        report.stop_reason = TIME_LIMIT
        report.notes.append(f"a {len(graph)}-node graph cannot be inserted and extracted "
                            f"within {budget.seconds:g} s: returned it with constants folded")
        return folded, [folded]
    from .egraph.pipeline import saturate  # (egglog: imported on the first saturation)

    try:
        sat = saturate(folded, rules, budget, ieee, schedule=sched, started=started,
                       fold=False, snapshot_idle=False)
    except OutOfTime as exc:
        report.stop_reason = TIME_LIMIT
        report.notes.append(f"{exc}: returned the input graph with constants folded")
        return folded, [folded]
    saturation_done()
    timings.update(sat.timings)
    sat.fill_report(report)
    report.extractor = EXTRACTOR_NAME
    if sat.log.iterations == 0:
        return folded, [folded]
    t = time.perf_counter()
    progress_phase("extracting the cheapest graph")
    try:
        graphs = _extract(sat, model, graph, max(1, n_candidates),
                          started + EXTRACT_BY * budget.seconds + EXTRACT_SLACK)
    except OutOfTime:
        report.stop_reason = EXTRACTION_TIME_LIMIT
        report.notes.append(f"extraction from {len(sat.snap.nodes)} e-nodes ran past the "
                            "time budget: returned the input graph with constants folded")
        return folded, [folded]
    except ExtractionError as exc:
        report.stop_reason = EXTRACTION_FAILED
        msg = f"{exc}{_subgraph(sat, exc.cls)}; returned the input graph with constants folded"
        report.notes.append(msg)
        warnings.warn(f"eqsat-tensor: {msg}", RuntimeWarning, stacklevel=3)
        return folded, [folded]
    timings["extract"] = time.perf_counter() - t
    progress_phase("extracting the cheapest graph", done=True)
    best = graphs[0]
    cost_in = _graph_cost(model, folded)
    report.cost_before = cost_in if folded is graph else _graph_cost(model, graph)
    best = _never_slower(model, folded, best, report)
    return best, graphs


def _extract(sat: Saturated, model: CostModel, original: Graph, k: int,
             deadline: float) -> list[Graph]:
    """Up to ``k`` extracted graphs, best first (``OutOfTime`` past ``deadline``,
    ``ExtractionError`` if no candidate keeps the outputs' shapes and dtypes)."""
    from .egraph.bridge import selection_to_graph

    extractor = Extractor(sat.snap, model, deadline)
    sels: list[Selection] = extractor.candidates(sat.roots, k)
    graphs = []
    for sel in sels:
        g = fold_constants(selection_to_graph([(n.cls, n.op, list(n.children), n.attrs)
                                               for n in sel.order], sel.roots, original,
                                              deadline))
        bad = _signature_mismatch(original, g)
        if bad is None:
            graphs.append(g)
        elif not graphs and sel is sels[-1]:
            i, msg = bad
            raise ExtractionError(msg, sat.roots[i])
    return graphs


def _subgraph(sat: Saturated, cls: int) -> str:
    node = sat.input_of_class().get(cls)
    if node is None:
        return ""
    text = str(Graph(node)) if len(Graph(node)) <= 12 else f"{node.op}(...)"
    return f" (the sub-graph {text}, shape {node.shape} {node.dtype})"


def _text(graph: Graph, limit: int = 2000) -> str:
    if len(graph) > limit:
        return f"({len(graph)}-node graph, {len(graph.outputs)} output(s); print it to see it)"
    return str(graph)


def _signature_mismatch(original: Graph, new: Graph) -> tuple[int, str] | None:
    """(output index, message) of the first output whose shape or dtype changed."""
    for i, (a, b) in enumerate(zip(original.outputs, new.outputs)):
        if a.shape != b.shape or a.dtype != b.dtype:
            return i, (f"extracted output has shape {b.shape} {b.dtype}, the original "
                       f"{a.shape} {a.dtype}")
    return None
