"""Saturation schedules as values, and the budgeted runner.

A ``Schedule`` is an ordered tuple of ``Phase``s; a phase names the egglog rulesets it runs
(its normal rules once per iteration, its ``expansive`` rules under egglog's back-off
scheduler, the analyses saturated before and after). Nothing is registered globally:
``default_schedule()`` builds the canonicalize -> stability -> specialize pipeline, and
callers may pass their own.

``run`` iterates each phase until it saturates (the e-graph stops growing) or its share of
the ``Budget`` is spent, checking iterations, e-nodes and time between iterations, and
records the matches of every rule per iteration (for the report and ``explain``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..progress import saturation_step
from .budget import ITERATION_LIMIT, NODE_LIMIT, SATURATED, TIME_LIMIT, Budget
from .compiler import PHASES
from .engine import Session


@dataclass(frozen=True)
class Phase:
    """A named saturation phase over egglog rulesets ``name`` and ``name-x``."""

    name: str
    share: float = 1.0  # fraction of the remaining budget this phase may use


@dataclass(frozen=True)
class Schedule:
    """Phases run in order on one e-graph."""

    phases: tuple[Phase, ...]


def default_schedule() -> Schedule:
    """canonicalize (algebra) -> stability -> specialize; earlier phases leave budget for
    later ones."""
    return Schedule((Phase(PHASES[0], 0.5), Phase(PHASES[1], 0.6), Phase(PHASES[2], 1.0)))


@dataclass
class RunLog:
    """What a run did: iterations, per-phase times and iteration counts, matches per
    iteration (rule egglog name -> count), sizes, and the stop reason."""

    iterations: int = 0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_iterations: dict[str, int] = field(default_factory=dict)
    matches: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    stop_reason: str = SATURATED


# Seconds per e-node kept back for extraction when the time limit is near (measured:
# snapshot + extraction + rebuilding the graph take about 30 us per e-node).
EXTRACT_SECONDS_PER_NODE = 30e-6
# E-graph size above which a doubling iteration switches all rules to back-off. Below it
# one unbounded iteration is cheap and cannot reach the node limit, while a back-off
# iteration costs ~10 ms (it made a 100-node optimization 60 ms instead of 37 ms).
EXPLODE_MIN = 1000


def run(session: Session, schedule: Schedule, budget: Budget,
        started: float | None = None, reserve_per_node: float = 0.0) -> RunLog:
    """Saturate ``session`` phase by phase within ``budget``. ``budget.seconds`` counts
    from ``started`` (default: now) and keeps time back for extraction (``reserve_per_node``
    seconds per e-node, at least ``EXTRACT_SECONDS_PER_NODE``), so the whole optimization,
    not only saturation, stays within it."""
    per_node = max(EXTRACT_SECONDS_PER_NODE, reserve_per_node)
    log = RunLog()
    t_start = time.perf_counter() if started is None else started
    size = session.size()
    log.sizes.append(size)
    cap = budget.node_cap(size)
    bounded = False
    names = {c.name for c in session.compiled.rules}
    for phase in schedule.phases:
        t0 = time.perf_counter()
        left_iters = budget.iters - log.iterations
        left_time = budget.seconds - (t0 - t_start) - size * per_node
        phase_iters = max(1, int(left_iters * phase.share)) if left_iters > 0 else 0
        deadline = t0 + max(0.0, left_time * phase.share)
        done = 0
        reason = SATURATED
        while True:
            if done >= phase_iters:
                reason = ITERATION_LIMIT
                break
            if time.perf_counter() >= deadline:
                reason = TIME_LIMIT
                break
            if size >= cap:
                reason = NODE_LIMIT
                break
            counts = session.step(phase.name, budget.match_limit, budget.ban_length,
                                  bounded, done < budget.expansive_iters)
            done += 1
            log.iterations += 1
            log.matches.append((phase.name, {n: c for n, c in counts.items()
                                             if c and n in names}))
            new_size = session.size()
            log.sizes.append(new_size)
            saturation_step(log.iterations, budget.iters, new_size, log.matches[-1][1],
                            phase.name, session.compiled.rule_of)
            if new_size == size and done >= budget.expansive_iters:
                break
            # Exploding (x2 in one iteration past a few hundred e-nodes): the next iteration
            # runs every rule under back-off, so no single iteration can blow past the
            # limits (back-off costs ~25 ms per iteration, so only while it explodes).
            bounded = new_size > 2 * size and new_size > EXPLODE_MIN
            size = new_size
        log.phase_seconds[phase.name] = time.perf_counter() - t0
        log.phase_iterations[phase.name] = done
        if reason != SATURATED and log.stop_reason == SATURATED:
            log.stop_reason = reason  # the first limit that cut a phase short
        if reason == NODE_LIMIT:
            break
    return log
