"""``OptimizeResult`` and ``OptimizationError``: what an optimization returns, shared by
``et.optimize`` and the accuracy search (so neither imports the other's private names),
and ``graph_of``, the graph of what a caller hands them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EqsatError
from ..ir import Graph, Node
from ..report import Report
from ..rulelang.ast import RuleSet


class OptimizationError(EqsatError, RuntimeError):
    """The optimizer failed internally (raised only with ``fallback=False``)."""


@dataclass
class OptimizeResult:
    """The optimized ``graph`` (same inputs, in the same order, as the original), the
    ``report``, and ``explain()``: the rewrite steps from the input to the output."""

    graph: Graph
    report: Report
    original: Graph
    # None: the shipped default rules, parsed only when asked for (a result from the
    # persistent graph cache never needs them)
    _rules: RuleSet | None = field(repr=False, default_factory=lambda: RuleSet("none"))
    ieee: str = "finite"
    candidates: list[Graph] = field(default_factory=list, repr=False)
    _explanation: Any = field(default=None, repr=False)

    @property
    def rules(self) -> RuleSet:
        """The rule set the optimization ran with."""
        if self._rules is None:
            from ..rulelang import default_rules

            self._rules = default_rules()
        return self._rules

    def explain(self) -> Any:
        """The chain of rules turning the input into the output, as before/after steps
        (reconstructed by replaying the fired rules one at a time; egglog records no
        proofs). ``str()`` of the result prints the steps."""
        if self._explanation is None:
            from .explain import explain

            self._explanation = explain(self.original, self.graph, self.rules, self.ieee,
                                        self.report.rules_fired)
        return self._explanation


def graph_of(obj: Any) -> Graph:
    """A Graph from a Graph, a Node, an object holding a Node in ``.node`` (a frontend
    ``Tensor``), or a list or tuple of those (several outputs)."""
    if isinstance(obj, Graph):
        return obj
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    nodes = []
    for item in items:
        node = item if isinstance(item, Node) else getattr(item, "node", None)
        if not isinstance(node, Node):
            raise TypeError(f"expected a Graph, Tensor or Node, got {type(item).__name__}")
        nodes.append(node)
    return Graph(nodes)
