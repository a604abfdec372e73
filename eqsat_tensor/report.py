"""``Report``: what one optimization did, as text (``print(report)``), as a ``rich``
renderable, and as HTML (``report.to_html()``; notebooks show it through
``_repr_html_``) with pictures of the graph before and after when Graphviz's ``dot`` is
installed (``Graph.to_dot``; this module stays below the front doors, so it does not use
``eqsat_tensor.viz``)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

MAX_SIZES_SHOWN = 12  # e-graph sizes per iteration printed before eliding the middle
MAX_PICTURE_NODES = 300  # larger graphs get no picture in to_html


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
    time_before: float = 0.0  # the time part of the costs (ns by the model; 0: not known)
    time_after: float = 0.0
    stop_reason: str = "saturated"
    extractor: str = ""
    cost_model: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fallback: bool = False
    before: str = ""
    after: str = ""
    egraph_sizes: list[int] = field(default_factory=list)  # after insertion, then per iteration
    graphs: tuple[Any, ...] = field(default=(), repr=False, compare=False)  # (before, after)

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
                ("e-nodes/iter", self.sizes_text() or "-"),
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

    def sizes_text(self) -> str:
        """E-graph sizes per iteration, ``6 -> 9 -> 14``, the middle elided when long."""
        sizes = [f"{n:,}" for n in self.egraph_sizes]
        if len(sizes) > MAX_SIZES_SHOWN:
            half = MAX_SIZES_SHOWN // 2
            sizes = sizes[:half] + [f"... ({len(sizes) - 2 * half} more)"] + sizes[-half:]
        return " -> ".join(sizes)

    def rule_rows(self) -> list[tuple[str, int]]:
        """(rule, matches) for every rule that fired, most matches first."""
        return sorted(self.rules_fired.items(), key=lambda kv: (-kv[1], kv[0]))

    def __str__(self) -> str:
        rows = self.lines()
        width = max(len(k) for k, _ in rows)
        out = [f"{k:<{width}}  {v}" for k, v in rows]
        rules = self.rule_rows()
        if rules:
            w = max(len(r) for r, _ in rules)
            out += ["", f"{'rule':<{w}}  matches", f"{'-' * w}  -------"]
            out += [f"{r:<{w}}  {c:>7}" for r, c in rules]
        return "\n".join(out)

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        table = Table(title="eqsat-tensor optimization", show_header=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for k, v in self.lines():
            table.add_row(k, v)
        rules = self.rule_rows()
        if not rules:
            return table
        fired = Table(title="rules fired", show_header=True)
        fired.add_column("rule", style="bold")
        fired.add_column("matches", justify="right")
        for r, c in rules:
            fired.add_row(r, str(c))
        return Group(table, fired)

    def pictures_svg(self) -> str | None:
        """HTML with an SVG picture of the graph before and one after (``Graph.to_dot``
        rendered by Graphviz's ``dot``), or None when the graphs are not recorded, are
        larger than ``MAX_PICTURE_NODES``, or ``dot`` is not installed. (Annotated
        pictures with kernels and costs: ``eqsat_tensor.viz.show(result)``.)"""
        import subprocess  # (only here: a cold optimize does not pay for it)

        dot = shutil.which("dot")
        if len(self.graphs) != 2 or dot is None:
            return None
        if any(len(g) > MAX_PICTURE_NODES for g in self.graphs):
            return None
        figures = []
        for title, graph in zip(("before", "after"), self.graphs):
            try:
                proc = subprocess.run([dot, "-Tsvg"], input=graph.to_dot().encode(),
                                      capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired):
                return None
            if proc.returncode != 0:
                return None
            svg = proc.stdout.decode(errors="replace")
            figures.append(f"<figure><figcaption>{title}</figcaption>"
                           f"{svg[max(svg.find('<svg'), 0):]}</figure>")
        return "<div style='display:flex;gap:2em'>" + "".join(figures) + "</div>"

    def to_html(self, pictures: bool = True) -> str:
        """A self-contained HTML fragment: the summary table, the rules that fired with
        their counts, the graphs before and after as text, and their pictures
        (``pictures=True`` and Graphviz installed)."""
        import html  # (only here: a cold optimize does not pay for it)

        esc = html.escape
        parts = ['<div class="eqsat-report">', "<h4>eqsat-tensor optimization</h4>",
                 "<table>"]
        parts += [f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:left'>"
                  f"{esc(v)}</td></tr>" for k, v in self.lines()]
        parts.append("</table>")
        rules = self.rule_rows()
        if rules:
            parts.append("<table><tr><th>rule</th><th>matches</th></tr>")
            parts += [f"<tr><td>{esc(r)}</td><td>{c}</td></tr>" for r, c in rules]
            parts.append("</table>")
        if self.before or self.after:
            parts.append(f"<p><b>before</b></p><pre>{esc(self.before)}</pre>"
                         f"<p><b>after</b></p><pre>{esc(self.after)}</pre>")
        svg = self.pictures_svg() if pictures else None
        if svg:
            parts.append(svg)
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()
