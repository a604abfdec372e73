"""``Budget``: the limits of one saturation run, and the reasons a run stops.

egglog itself bounds a run only through the back-off scheduler; the iteration, e-node and
time limits are checked by the runner (``egraph.runner``) between rule batches inside an
iteration, and insertion and extraction check the clock too.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields
from typing import Any

from ..errors import ArgumentError

SATURATED = "saturated"
ITERATION_LIMIT = "iteration limit"
NODE_LIMIT = "node limit"
TIME_LIMIT = "time limit"
EXTRACTION_TIME_LIMIT = "extraction time limit"
EXTRACTION_FAILED = "extraction failed"
STOP_REASONS = (SATURATED, ITERATION_LIMIT, NODE_LIMIT, TIME_LIMIT, EXTRACTION_TIME_LIMIT,
                EXTRACTION_FAILED)


class StopReason:
    """Why a run stopped (egg's vocabulary); the values are the strings above, which is
    what ``Report.stop_reason`` holds. The extraction reasons mean the input graph (folded)
    was returned: the e-graph's best graph could not be extracted in time, or at all."""

    SATURATED = SATURATED
    ITERATION_LIMIT = ITERATION_LIMIT
    NODE_LIMIT = NODE_LIMIT
    TIME_LIMIT = TIME_LIMIT
    EXTRACTION_TIME_LIMIT = EXTRACTION_TIME_LIMIT
    EXTRACTION_FAILED = EXTRACTION_FAILED


class OutOfTime(Exception):
    """Raised inside the pipeline (insertion, extraction) when the time budget is spent;
    the optimizer catches it and returns the best graph it has."""


@dataclass(frozen=True)
class Budget:
    """Limits of one optimization: saturation ``iters`` (all phases together), e-graph
    size in e-nodes (``nodes``) and wall-clock ``seconds`` for the saturation phases.

    ``growth`` caps the e-graph at ``1000 + growth x`` the input's size as well (small
    graphs gain nothing from 200,000 e-nodes of factorings; both caps report "node
    limit"). Rules tagged ``expansive`` (commutativity, associativity) run only in the
    first ``expansive_iters`` iterations of each phase, under egglog's back-off scheduler
    configured by ``match_limit`` and ``ban_length`` (each back-off run re-matches the
    whole e-graph, ~15 ms at 800 e-nodes); the other rules run every iteration.
    """

    iters: int = 30
    nodes: int = 200_000
    seconds: float = 2.0
    growth: float = 50.0
    expansive_iters: int = 2
    match_limit: int = 200
    ban_length: int = 3

    def node_cap(self, input_nodes: int) -> int:
        """The e-node limit for an input of ``input_nodes`` e-nodes."""
        return int(min(self.nodes, 1000 + self.growth * input_nodes))

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            object.__setattr__(self, f.name, _limit(f.name, value, f.type in (int, "int")))
        if self.nodes == 0:
            raise ArgumentError("Budget(nodes=0): the e-graph needs room for the input; "
                                "nodes must be at least 1")

    @classmethod
    def coerce(cls, budget: Any) -> Budget:
        """``budget`` as a ``Budget``: None is the default, a number is ``seconds``."""
        if budget is None:
            return cls()
        if isinstance(budget, Budget):
            return budget
        if isinstance(budget, numbers.Real) and not isinstance(budget, bool):
            return cls(seconds=budget)
        raise ArgumentError(f"budget must be an eqsat_tensor.Budget or a number of seconds, "
                            f"not {type(budget).__name__} {budget!r:.80}")


def _limit(name: str, value: Any, integral: bool) -> Any:
    """``value`` checked as a ``Budget`` limit: a real number (an integer for counts), not
    NaN, not negative; ``inf`` is allowed for ``seconds`` and ``growth`` (no limit)."""
    what = "a non-negative integer" if integral else "a non-negative number (inf: no limit)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"Budget({name}={value!r:.80}): {name} must be {what}, not "
                            f"{type(value).__name__}")
    if integral:
        if not isinstance(value, numbers.Integral):
            if not (math.isfinite(value) and float(value).is_integer()):
                raise ArgumentError(f"Budget({name}={value!r}): {name} must be {what}")
        value = int(value)
    else:
        try:
            value = float(value)
        except OverflowError:  # an integer beyond float range: no limit
            value = math.inf
        if math.isnan(value):
            raise ArgumentError(f"Budget({name}=nan): {name} must be {what}")
    if value < 0:
        raise ArgumentError(f"Budget({name}={value!r}): {name} must be {what}")
    return value
