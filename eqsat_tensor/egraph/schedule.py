"""Saturation schedules as values (the runner that executes them is ``egraph.runner``).

A ``Schedule`` is an ordered tuple of ``Phase``s; a phase names the egglog rulesets it runs
(its normal rules once per iteration, its ``expansive`` rules under egglog's back-off
scheduler, the analyses saturated before and after). Nothing is registered globally:
``default_schedule()`` builds the canonicalize -> stability -> specialize pipeline, and
callers may pass their own.

``runner.Runner`` iterates each phase until it saturates or its share of the ``Budget`` is
spent, and records the matches of every rule per iteration (for the report and
``explain``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .compiler import PHASES


@dataclass(frozen=True)
class Phase:
    """A named saturation phase over egglog rulesets ``name`` and ``name-x``."""

    name: str
    share: float = 1.0  # fraction of the remaining budget this phase may use
    expansive: bool = True  # also run the phase's [expansive] rules (early iterations)


@dataclass(frozen=True)
class Schedule:
    """Phases run in order on one e-graph."""

    phases: tuple[Phase, ...]


def default_schedule() -> Schedule:
    """canonicalize (algebra) -> stability -> specialize, then canonicalize and stability
    again without their expansive rules (a settle pass): a rule of an early phase still
    applies to a form that a later phase made (``1 / (1 / x)`` is ``reciprocal(reciprocal
    (x))`` only after specialize; ``sqrt(square(x))`` meets ``sqrt(x * x)`` there).
    Earlier phases leave budget for later ones."""
    return Schedule((Phase(PHASES[0], 0.5), Phase(PHASES[1], 0.6), Phase(PHASES[2], 0.7),
                     Phase(PHASES[0], 0.5, expansive=False),
                     Phase(PHASES[1], 1.0, expansive=False)))
