"""The accuracy optimizer behind ``et.optimize(g, precondition=..., objective=...)``.

``optimize_accuracy`` saturates the e-graph with the default rules plus
``rules/accuracy.rules`` (``egraph.pipeline``, the same runner as ``et.optimize``),
extracts several candidate graphs (``accuracy.candidates``), measures each on the samples
(``accuracy.measure``), picks one by ``objective`` and, where no candidate is accurate
over the whole range, combines candidates in regimes (``accuracy.regimes``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..cost import load_cost_model
from ..egraph.budget import Budget
from ..egraph.result import OptimizationError, OptimizeResult, graph_of
from ..ir import Graph
from .candidates import LOCAL_MIN_BITS, enumerate_candidates
from .measure import (
    DEFAULT_SAMPLES,
    OBJECTIVES,
    AccuracyOptReport,
    AccuracyReport,
    Candidate,
    Precondition,
    choose,
    local_error,
    measure_accuracy,
    pin_inputs,
    sample,
)
from .regimes import infer_regimes

__all__ = ["optimize_accuracy", "accuracy_rules"]

SERIES_LOCAL_SAMPLES = 64  # samples for the local error that picks sub-expressions to expand
SPLIT_BEFORE_S = 4.0  # no sign split when the steps before (but the series) took this long
SPLIT_INPUTS = 2  # inputs whose range is split at 0 for extra saturations
SPLIT_BUDGET = 0.4  # each split saturation's share of the budget's seconds
SERIES_SECONDS = 2.5  # the series step's share of the time (local error and expansions)
SERIES_BEFORE_S = 6.0  # the series step ends by then (from the start of the call)
# The time limits above count this process's CPU time, so that a loaded machine (other
# processes on the same cores) does not change which candidates are found; the wall time
# counts too, divided by WALL_SLACK, so that the call stays bounded however loaded.
WALL_SLACK = 3.0


class _Spent:
    """Seconds of work since creation: CPU time of this process, or the wall time over
    ``WALL_SLACK`` where that is more."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def __call__(self) -> float:
        return max(time.process_time() - self.cpu,
                   (time.perf_counter() - self.wall) / WALL_SLACK)


def accuracy_rules() -> Any:
    """The default rules plus ``rules/accuracy.rules``, as one ``RuleSet``."""
    from ..rulelang import DEFAULT_RULE_FILES, default_rules

    return default_rules(*DEFAULT_RULE_FILES, "accuracy")


def optimize_accuracy(graph: Any, precondition: Precondition | None = None,
                      objective: str = "accuracy", *, rules: Any = None,
                      budget: Any = None, ieee: str = "finite", cost_model: Any = None,
                      n_samples: int = DEFAULT_SAMPLES, seed: int = 0,
                      condition: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None,
                      regimes: bool = True, fallback: bool = True,
                      series: bool = True, sign_split: bool = True) -> Any:
    """Accuracy-driven optimization (what ``et.optimize(g, precondition=..., objective=...)``
    runs). Returns an ``OptimizeResult`` whose ``report`` is an ``AccuracyOptReport`` and
    whose ``candidates`` are the measured candidate graphs, best first.

    ``series``: also offer truncated series expansions (``accuracy.series``; needs SymPy)
    as candidates, which regimes then use where they are the most accurate.

    ``sign_split``: for inputs whose range spans 0, also saturate on each half of the range
    (``_sign_split``), so rules guarded by the sign of an input (``if b > 0``) fire there;
    regimes then combine the halves' candidates.

    The precondition bounds are assumed to hold: they are also given to the e-graph's
    interval analysis, so guarded rules (``if b > 0``) may fire where the box proves them.
    """
    graph = graph_of(graph)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if ieee not in ("finite", "strict", "fast"):
        raise ValueError(f"ieee must be 'finite', 'strict' or 'fast', got {ieee!r}")
    t0 = time.perf_counter()
    spent = _Spent()
    rules = rules if rules is not None else accuracy_rules()
    budget = budget or Budget(iters=12, seconds=2.0, nodes=10_000)
    model = cost_model or load_cost_model()
    speed_model = _speed_model(model)
    acc = AccuracyReport(objective=objective)
    report = AccuracyOptReport(nodes_before=len(graph), cost_model=model.describe(),
                               accuracy=acc)
    timings = acc.timings
    t = time.perf_counter()
    samples = sample(graph, precondition, n_samples, seed, condition)
    acc.precondition, acc.samples = samples.precondition, samples.n
    timings["sample"] = time.perf_counter() - t
    before = measure_accuracy(graph, samples)
    acc.bits_before, acc.max_before = before.mean, before.max
    graphs: list[tuple[Graph, str]] = [(graph, "input")]
    pinned = pin_inputs(graph, samples.precondition)
    if pinned is not None:
        graphs.append((pinned, "pinned inputs, exact constants"))
    try:
        t = time.perf_counter()
        found = enumerate_candidates(graph, rules, budget, ieee, model, samples,
                                     report=report)
        graphs += found
        timings["candidates"] = time.perf_counter() - t
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # egglog panics are BaseExceptions
        if not fallback:
            raise OptimizationError(f"accuracy optimizer failed: {type(exc).__name__}: "
                                    f"{exc}") from exc
        report.fallback = True
        report.notes.append(f"e-graph candidates failed ({type(exc).__name__}: {exc}); "
                            "measured the input only")
    in_series = 0.0
    if series and len(graph.outputs) == 1:
        t = time.perf_counter()
        left = SERIES_BEFORE_S - spent()
        if left > 0.5:
            step = _Spent()
            graphs += _series(graph, samples, report, min(SERIES_SECONDS, left))
            in_series = step()
        else:
            report.notes.append("series skipped: the time went to sampling and saturation")
        timings["series"] = time.perf_counter() - t
    # the series step's own (bounded) time does not count against the sign split: each
    # finds candidates the other cannot (the quadratic formula's conjugates need the split)
    if sign_split and not report.fallback and spent() - in_series < SPLIT_BEFORE_S:
        t = time.perf_counter()
        graphs += _sign_split(graph, rules, budget, ieee, model, samples)
        timings["sign split"] = time.perf_counter() - t
    t = time.perf_counter()
    cands: list[Candidate] = []
    seen: set[str] = set()
    for g, origin in graphs:
        fp = g.fingerprint()
        if fp in seen:
            continue
        seen.add(fp)
        cands.append(Candidate(g, origin, before if origin == "input" else
                               measure_accuracy(g, samples), speed_model.graph_cost(g)))
    timings["measure"] = time.perf_counter() - t
    chosen = choose(cands, objective)
    acc.candidates = len(cands)
    acc.chosen = chosen.origin
    out = chosen.graph
    if regimes and objective != "speed" and len(graph.outputs) == 1:
        t = time.perf_counter()
        reg = infer_regimes(cands, samples, chosen, objective)
        timings["regimes"] = time.perf_counter() - t
        if reg is not None:
            out = reg.graph
            acc.regimes = reg.describe()
            acc.chosen = f"regimes of {len(reg.pieces)} candidates"
    after = measure_accuracy(out, samples)
    acc.bits_after, acc.max_after = after.mean, after.max
    cost_before = speed_model.graph_cost(graph)
    acc.cost_ratio = speed_model.graph_cost(out) / cost_before if cost_before > 0 else 1.0
    acc.seconds = time.perf_counter() - t0
    report.seconds = acc.seconds
    report.nodes_after = len(out)
    report.cost_before = model.graph_cost(graph)
    report.cost_after = model.graph_cost(out)
    report.before, report.after = str(graph), str(out)
    ranked = sorted(cands, key=lambda c: (c.bits, c.cost))
    return OptimizeResult(out, report, graph, rules, ieee, [c.graph for c in ranked])


def _sign_split(graph: Graph, rules: Any, budget: Any, ieee: str, model: Any,
                samples: Any) -> list[tuple[Graph, str]]:
    """Candidates from saturations on the negative and the positive half of the range of
    each input that spans 0 (at most ``SPLIT_INPUTS`` inputs, widest first; a smaller
    budget each). The interval analysis then proves sign guards on that half."""
    pre = samples.precondition
    spans = sorted((name for name in graph.input_names
                    if name in pre and pre[name][0] < 0 < pre[name][1]),
                   key=lambda n: -(pre[n][1] - pre[n][0]))[:SPLIT_INPUTS]
    out: list[tuple[Graph, str]] = []
    small = replace(budget, seconds=budget.seconds * SPLIT_BUDGET)
    for name in spans:
        lo, hi = pre[name]
        x = np.asarray(samples.inputs[name])
        tiny = float(np.finfo(np.float64).tiny)  # strict: the analysis proves x < 0
        for side, box, mask in (("<0", (lo, -tiny), x < 0), (">0", (tiny, hi), x > 0)):
            if mask.sum() < 8:
                continue
            half = samples.subset(mask)
            half.precondition = {**pre, name: box}
            try:
                found = enumerate_candidates(graph, rules, small, ieee, model, half)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # noqa: BLE001 - an optional source of candidates
                continue
            out += [(g, f"{name}{side}:{origin}") for g, origin in found]
    return out


def _series(graph: Graph, samples: Any, report: AccuracyOptReport,
            seconds: float = 2.5) -> list[tuple[Graph, str]]:
    """Series candidates of the input graph and of its sub-expressions of highest local
    error (``accuracy.series``)."""
    from .series import SUBEXPRESSIONS, series_candidates

    try:
        t = _Spent()
        n = min(samples.n, SERIES_LOCAL_SAMPLES)
        sub = samples.subset(np.arange(samples.n) < n)
        worst = [node for node, bits in local_error(graph, sub).items()
                 if bits >= LOCAL_MIN_BITS][:SUBEXPRESSIONS]
        found = series_candidates(graph, worst,
                                  seconds=max(0.3, seconds - t()))
    except Exception as exc:  # noqa: BLE001 - series are optional candidates
        report.notes.append(f"series candidates failed ({type(exc).__name__}: {exc})")
        return []
    return [(c.graph, c.origin) for c in found]


def _speed_model(model: Any) -> Any:
    return replace(model, accuracy_ns=0.0)
