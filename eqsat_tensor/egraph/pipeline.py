"""The e-graph half of an optimization, shared by ``et.optimize`` and the accuracy search:
fold constants, compile the rules (cached), insert the graph, run the ``Runner`` under the
budget, and take a ``Snapshot`` for extraction. Callers only pass things down (graph,
rules, budget, an optional ``seed`` callback for extra analysis facts) and get a
``Saturated`` back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ir import Graph
from ..rulelang.ast import RuleSet
from .budget import Budget
from .compiler import CompiledRules, compiled_rules
from .engine import Session
from .extract import Snapshot, snapshot
from .fold import fold_constants
from .runner import RunLog, Runner
from .schedule import Schedule, default_schedule

Seed = Callable[[Session, Graph], None]
# Measured on random DAGs of 10k-50k nodes: extracting an e-node takes 1-3x the time
# inserting a graph node took.
EXTRACT_VS_INSERT = 1.5


@dataclass
class Saturated:
    """A saturated e-graph as plain data: the folded input, the compiled rules, the run
    log, the snapshot and the output classes (``roots``, in the graph's output order)."""

    folded: Graph
    compiled: CompiledRules
    log: RunLog
    snap: Snapshot
    roots: list[int]
    timings: dict[str, float] = field(default_factory=dict)

    def rules_fired(self) -> dict[str, int]:
        """Source rule name -> matches over the whole run."""
        fired: dict[str, int] = {}
        for _, counts in self.log.matches:
            for name, c in counts.items():
                rule = self.compiled.rule_of(name)
                if rule is not None:
                    fired[rule] = fired.get(rule, 0) + c
        return fired

    def fill_report(self, report: Any) -> None:
        """Copy what the run did into ``report`` (an ``OptimizeReport``): sizes, iterations,
        time and iterations per phase, the stop reason, rules fired, e-graph size, the
        rule compiler's notes."""
        log = self.log
        report.egraph_sizes = list(log.sizes)
        report.iterations = log.iterations
        report.phase_seconds = dict(log.phase_seconds)
        report.phase_iterations = dict(log.phase_iterations)
        report.stop_reason = log.stop_reason
        report.rules_fired = self.rules_fired()
        report.egraph_nodes = len(self.snap.nodes)
        report.egraph_classes = self.snap.n_classes
        report.notes.extend(self.compiled.notes)

    def input_of_class(self) -> dict[int, Any]:
        """E-class -> the folded input's node in it (to name a sub-graph in messages)."""
        nodes = self.folded.nodes()
        return {self.snap.index_class[i]: n for i, n in enumerate(nodes)
                if i in self.snap.index_class}


def saturate(graph: Graph, rules: RuleSet, budget: Budget, ieee: str = "finite", *,
             schedule: Schedule | None = None, started: float | None = None,
             seed: Seed | None = None, fold: bool = True,
             snapshot_idle: bool = True) -> Saturated:
    """Run the e-graph pipeline on ``graph`` within ``budget`` (counted from ``started``;
    ``fold=False`` if the caller folded its constants already; ``snapshot_idle=False``
    skips the snapshot, leaving ``snap`` empty, when no iteration ran). Raises
    ``budget.OutOfTime`` if inserting the graph alone spends the time budget."""
    started = time.perf_counter() if started is None else started
    timings: dict[str, float] = {}
    t = time.perf_counter()
    folded = fold_constants(graph) if fold else graph
    key, compiled = compiled_rules(rules, ieee)
    timings["compile"] = time.perf_counter() - t
    t = time.perf_counter()
    with Session(key, compiled, deadline=started + budget.seconds, graph=folded) as session:
        t_insert = time.perf_counter()  # after building the program (once per thread)
        session.insert(folded, compiled.attr_literals, ieee,
                       deadline=started + budget.seconds)
        if seed is not None:
            seed(session, folded)
        session.run_analysis(deadline=started + budget.seconds)
        timings["insert"] = time.perf_counter() - t
        # Extraction (snapshot, type check, selection, rebuilding the graph) costs about
        # EXTRACT_VS_INSERT times what insertion did per node: keep that much time back.
        per_node = EXTRACT_VS_INSERT * (time.perf_counter() - t_insert) / max(1, len(folded))
        log = Runner(session, schedule or default_schedule(), budget, started, per_node).run()
        timings["saturate"] = sum(log.phase_seconds.values())
        t = time.perf_counter()
        idle = log.iterations == 0 and not snapshot_idle
        snap = Snapshot() if idle else snapshot(session.egraph)
        index = session.index
    timings["snapshot"] = time.perf_counter() - t
    roots = [] if idle else [snap.index_class[index[o.uid]] for o in folded.outputs]
    return Saturated(folded, compiled, log, snap, roots, timings)
