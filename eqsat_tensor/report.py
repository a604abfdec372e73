"""``Report``: what one optimization did, as text (``str``) and as a ``rich`` renderable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """E-graph size, iterations, time per phase, rules fired with counts, cost before and
    after, the stop reason, the extractor used and the cost model, plus notes (fallbacks,
    skipped rule directions)."""

    nodes_before: int = 0
    nodes_after: int = 0
    egraph_nodes: int = 0
    egraph_classes: int = 0
    iterations: int = 0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_iterations: dict[str, int] = field(default_factory=dict)
    rules_fired: dict[str, int] = field(default_factory=dict)
    cost_before: float = 0.0
    cost_after: float = 0.0
    stop_reason: str = "saturated"
    extractor: str = ""
    cost_model: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fallback: bool = False
    before: str = ""
    after: str = ""

    @property
    def speedup(self) -> float:
        """Estimated cost ratio before/after."""
        return self.cost_before / self.cost_after if self.cost_after > 0 else float("inf")

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows shared by the text and rich renderings."""
        rules = ", ".join(f"{k} x{v}" for k, v in sorted(self.rules_fired.items(),
                                                         key=lambda kv: (-kv[1], kv[0])))
        phases = ", ".join(f"{p} {self.phase_iterations.get(p, 0)} it "
                           f"{self.phase_seconds.get(p, 0.0) * 1e3:.1f} ms"
                           for p in self.phase_seconds)
        steps = ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in self.timings.items())
        rows = [("graph nodes", f"{self.nodes_before} -> {self.nodes_after}"),
                ("e-graph", f"{self.egraph_nodes} e-nodes, {self.egraph_classes} e-classes"),
                ("iterations", f"{self.iterations} (stop: {self.stop_reason})"),
                ("phases", phases or "-"),
                ("rules fired", rules or "none"),
                ("cost", f"{self.cost_before:.4g} -> {self.cost_after:.4g} "
                         f"(x{self.speedup:.3g})"),
                ("time", f"{self.seconds * 1e3:.1f} ms ({steps})"),
                ("extractor", self.extractor),
                ("cost model", self.cost_model)]
        if self.fallback:
            rows.append(("FALLBACK", "the input graph was returned unchanged"))
        rows += [("note", n) for n in self.notes]
        return rows

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self.lines())
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.lines())

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title="eqsat-tensor optimization", show_header=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for k, v in self.lines():
            table.add_row(k, v)
        return table
