"""``Budget``: the limits of one saturation run, and the reasons a run stops.

egglog itself bounds a run only through the back-off scheduler; the iteration, e-node and
time limits are checked by the runner (``egraph.runner``) between rule batches inside an
iteration, and insertion and extraction check the clock too.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        if self.iters < 0 or self.nodes <= 0 or self.seconds < 0:
            raise ValueError(f"Budget limits must be non-negative, got {self}")
