"""The one saturation runner (egg's vocabulary: ``Runner``, ``StopReason``, an iteration
report per iteration) that the optimizer and the accuracy search call.

``Runner(session, schedule, budget).run()`` iterates each ``Phase`` of the schedule until
it saturates (the e-graph stops growing) or its share of the ``Budget`` is spent. The
budget is enforced *inside* an iteration: a phase's rules are split into batches (egglog
rulesets of a few dozen rules, ``engine.BATCH_RULES``) run one at a time, and the clock
and the e-graph size are checked after each batch, so one iteration overshoots by at most
one batch (egglog cannot be interrupted inside a batch; one iteration of factoring rules
can grow a thousand e-nodes to a hundred thousand). Expansive rules (``[expansive]``:
associativity, commutativity, factoring) run under egglog's back-off scheduler with
``match_limit`` matches per rule; once the e-graph explodes (grows 1.5x past
``EXPLODE_MIN`` e-nodes, or the last growth factor, squared, predicts more than half its
cap) every rule runs under back-off, with match limits sized from the e-nodes left under
the cap, so one batch adds at most about what is left.

Time is kept back for extraction (``reserve_per_node`` seconds per e-node of the current
e-graph, re-checked after every batch), so the whole optimization, not only saturation,
stays within ``budget.seconds``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..progress import saturation_step
from .budget import Budget, StopReason
from .engine import Session
from .schedule import Schedule

# Seconds per e-node kept back for extraction when the time limit is near (measured:
# snapshot + extraction + rebuilding the graph take about 30 us per e-node).
EXTRACT_SECONDS_PER_NODE = 30e-6
# E-graph size above which a doubling iteration switches all rules to back-off. Below it
# one unbounded iteration is cheap and cannot reach the node limit, while a back-off
# iteration costs ~10 ms (it made a 100-node optimization 60 ms instead of 37 ms).
EXPLODE_MIN = 1000
# The per-node extraction reserve measured from insertion is capped at this (insertion of a
# small graph is mostly fixed costs, which would reserve seconds for a few hundred e-nodes).
MAX_SECONDS_PER_NODE = 300e-6
# Smallest per-rule match limit when limits are sized from the e-nodes left.
MIN_MATCH_LIMIT = 16


@dataclass
class Iteration:
    """One iteration: its phase, e-nodes before and after, seconds, the matches of each
    rule (egglog name -> count), and the limit that interrupted it (None if it ran whole)."""

    phase: str
    size_before: int
    size_after: int
    seconds: float
    matches: dict[str, int]
    interrupted: str | None = None
    bounded: bool = False  # every rule ran under back-off with match limits from the cap


@dataclass
class RunLog:
    """What a run did: the iterations, per-phase times and iteration counts, matches per
    iteration (phase, rule egglog name -> count), sizes, and the stop reason."""

    iterations: int = 0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_iterations: dict[str, int] = field(default_factory=dict)
    matches: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    stop_reason: str = StopReason.SATURATED
    steps: list[Iteration] = field(default_factory=list)


class Runner:
    """Saturates ``session`` phase by phase within ``budget``. ``budget.seconds`` counts
    from ``started`` (default: now) and keeps ``reserve_per_node`` seconds per e-node
    (between ``EXTRACT_SECONDS_PER_NODE`` and ``MAX_SECONDS_PER_NODE``) back for
    extraction."""

    def __init__(self, session: Session, schedule: Schedule, budget: Budget,
                 started: float | None = None, reserve_per_node: float = 0.0) -> None:
        self.session, self.schedule, self.budget = session, schedule, budget
        self.started = time.perf_counter() if started is None else started
        self.per_node = max(EXTRACT_SECONDS_PER_NODE, min(reserve_per_node,
                                                          MAX_SECONDS_PER_NODE))
        self.names = {c.name for c in session.compiled.rules}

    def run(self) -> RunLog:
        """Run the schedule; returns the ``RunLog``."""
        budget, session = self.budget, self.session
        log = RunLog()
        size = session.size()
        log.sizes.append(size)
        cap = budget.node_cap(size)
        growth = 1.0
        last_size: dict[str, int] = {}  # e-graph size when each phase last finished
        for phase in self.schedule.phases:
            if not phase.expansive and last_size.get(phase.name) == size:
                continue  # a settle pass over an e-graph its phase has already seen
            t0 = time.perf_counter()
            left_iters = budget.iters - log.iterations
            left_time = budget.seconds - (t0 - self.started) - size * self.per_node
            phase_iters = max(1, int(left_iters * phase.share)) if left_iters > 0 else 0
            phase_end = t0 + max(0.0, left_time * phase.share)
            done, reason = 0, StopReason.SATURATED
            while True:
                deadline = self._deadline(phase_end, size)
                if done >= phase_iters:
                    reason = StopReason.ITERATION_LIMIT
                    break
                if time.perf_counter() >= deadline:
                    reason = StopReason.TIME_LIMIT
                    break
                if size >= cap:
                    reason = StopReason.NODE_LIMIT
                    break
                # Exploding, or predicted to pass half the cap: every rule under back-off.
                # (A small e-graph growing 5x an iteration can jump past a small cap in
                # one unbounded batch: 168 -> 9,446 e-nodes under a cap of 1,450.)
                bounded = ((size > EXPLODE_MIN and growth > 1.5)
                           or size * growth * growth > cap / 2)
                step = self._iteration(phase.name, size, cap, phase_end, bounded,
                                       phase.expansive and done < budget.expansive_iters)
                done += 1
                log.iterations += 1
                log.steps.append(step)
                log.matches.append((phase.name, step.matches))
                log.sizes.append(step.size_after)
                saturation_step(log.iterations, budget.iters, step.size_after, step.matches,
                                phase.name, session.compiled.rule_of)
                new_size = step.size_after
                if step.interrupted:
                    reason = step.interrupted
                    size = new_size
                    break
                if new_size == size and (done >= budget.expansive_iters
                                         or not phase.expansive):
                    if step.bounded:  # rules were held back by match limits, not done
                        reason = StopReason.NODE_LIMIT
                    break
                # a bounded iteration held the growth back: it says nothing about what an
                # unbounded one would do, so the last unbounded growth stays
                growth = new_size / max(size, 1) if not step.bounded else max(
                    growth, new_size / max(size, 1))
                size = new_size
            log.phase_seconds[phase.name] = (log.phase_seconds.get(phase.name, 0.0)
                                             + time.perf_counter() - t0)
            log.phase_iterations[phase.name] = log.phase_iterations.get(phase.name, 0) + done
            last_size[phase.name] = size
            if reason != StopReason.SATURATED and log.stop_reason == StopReason.SATURATED:
                log.stop_reason = reason  # the first limit that cut a phase short
            if reason == StopReason.NODE_LIMIT or (
                    reason == StopReason.TIME_LIMIT
                    and time.perf_counter() >= self._deadline(float("inf"), size)):
                break
        return log

    def _deadline(self, phase_end: float, size: int) -> float:
        """When saturation must stop: the phase's share of the time, and the time that
        extracting ``size`` e-nodes needs before the budget ends."""
        return min(phase_end, self.started + self.budget.seconds - size * self.per_node)

    def _iteration(self, phase: str, size: int, cap: int, phase_end: float, bounded: bool,
                   expansive: bool) -> Iteration:
        """One iteration of ``phase``, batch by batch, checking the clock and the size."""
        session, budget = self.session, self.budget
        t0 = time.perf_counter()
        counts: dict[str, int] = {}
        interrupted = None
        x_limit, plain_limit = budget.match_limit, 5 * budget.match_limit
        batches = session.batches(phase, expansive)
        if bounded:  # share the e-nodes left among the phase's rules (~3 e-nodes a match)
            left = max(0, cap - size)
            sized = max(MIN_MATCH_LIMIT, left // max(1, 3 * self._rules(phase)))
            x_limit, plain_limit = min(x_limit, sized), min(plain_limit, sized)
        new_size = size
        for batch in batches:
            limit = x_limit if batch.startswith("x:") else plain_limit
            for k, v in session.run_batch(batch, limit, budget.ban_length,
                                          bounded).items():
                if v and k in self.names:
                    counts[k] = counts.get(k, 0) + v
            new_size = session.size()
            if new_size >= cap:
                interrupted = StopReason.NODE_LIMIT
                break
            if time.perf_counter() >= self._deadline(phase_end, new_size):
                interrupted = StopReason.TIME_LIMIT
                break
        if interrupted is None or new_size < cap:
            # types of the new e-nodes, for guards and extraction; cut short at the time
            # extraction needs (a lattice that keeps changing must not pass the budget)
            done = session.run_analysis(deadline=self._deadline(float("inf"), new_size))
            new_size = session.size()
            if not done and interrupted is None:
                interrupted = StopReason.TIME_LIMIT
        return Iteration(phase, size, new_size, time.perf_counter() - t0, counts, interrupted,
                         bounded)

    def _rules(self, phase: str) -> int:
        return sum(1 for c in self.session.compiled.rules if c.phase == phase)
