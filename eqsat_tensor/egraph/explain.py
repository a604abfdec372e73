"""``explain``: the chain of rewrites from an input graph to its optimized form.

egglog 13 records no proofs, so the chain is reconstructed by replay. A fresh e-graph
holds every rule that fired during optimization in a ruleset of its own. Starting from the
input, each rule runs alone (one iteration, then the analyses), and the cheapest graph is
extracted; whenever it changes, that is a step ``before => after`` credited to the rule,
together with the rules that matched since the last visible change (``via``: rewrites such
as commutativity that change no extraction by themselves but enable the next step). Passes
over the rules repeat until the optimized graph is reached or nothing changes. The result
is a plausible derivation, each step a sound rewrite, not a minimal proof.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

from ..cost import load_cost_model
from ..ir import Graph
from ..rulelang.ast import RuleSet
from . import analyses, bridge
from .analyses import types as types_analysis
from .compiler import compile_rules
from .engine import ANALYSIS, new_egraph, program_chunks
from .extract import Extractor, snapshot
from .fold import fold_constants

MAX_NODES = 400  # larger graphs are summarized, not replayed
MAX_PASSES = 6


@dataclass
class Step:
    """One rewrite: ``rule`` turned ``before`` into ``after`` (``via``: enabling rules)."""

    rule: str
    before: str
    after: str
    via: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        via = f" (via {', '.join(self.via)})" if self.via else ""
        return f"{self.rule}{via}:\n    {self.before}\n => {self.after}"


@dataclass
class Explanation:
    """The steps from ``original`` to ``final``; ``complete`` says the replay reached it."""

    original: str
    final: str
    steps: list[Step] = field(default_factory=list)
    complete: bool = True
    note: str = ""

    def __str__(self) -> str:
        lines = [f"input:  {self.original}"]
        lines += [f"{k}. {s}" for k, s in enumerate(self.steps, 1)]
        lines.append(f"output: {self.final}")
        if self.note:
            lines.append(f"note: {self.note}")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.steps)


def explain(original: Graph, final: Graph, rules: RuleSet, ieee: str,
            fired: dict[str, int]) -> Explanation:
    """Reconstruct the rewrite chain from ``original`` to ``final`` (see module doc)."""
    out = Explanation(str(original) if len(original) <= MAX_NODES else repr(original),
                      str(final) if len(final) <= MAX_NODES else repr(final))
    if final.fingerprint() == original.fingerprint():
        return out
    names = [r.name for r in rules.rules if fired.get(r.name)]
    if len(original) > MAX_NODES:
        out.complete = False
        out.note = (f"graph too large to replay ({len(original)} nodes); rules fired: "
                    + ", ".join(f"{n} x{fired[n]}" for n in names))
        return out
    model = load_cost_model()
    single = {}
    for k, name in enumerate(names):
        compiled = compile_rules(rules.select(names={name}), ieee)
        single[f"r{k}"] = (name, [c.text.replace(f":ruleset {c.ruleset} ", f":ruleset r{k} ")
                                  for c in compiled.rules], {c.name for c in compiled.rules})
    base = compile_rules(RuleSet("none"), ieee)
    egraph = new_egraph(program_chunks(base, {rs: v[1] for rs, v in single.items()}))
    folded = fold_constants(original)
    for cmd in bridge.row_commands(types_analysis.tables(folded.nodes(), {})):
        egraph.run_program(cmd)
    with tempfile.TemporaryDirectory(prefix="eqsat-explain-") as tmp:
        cmds, index = bridge.insertion(folded, analyses.seed_facts(folded, ieee), tmp)
        for cmd in cmds:
            egraph.run_program(cmd)
    egraph.run_program(*egraph.parse_program(f"(run-schedule (saturate (run {ANALYSIS})))"))
    target = final.fingerprint()
    current = original
    pending: list[str] = []
    for _ in range(MAX_PASSES):
        progress = False
        for rs, (name, _, egg_names) in single.items():
            (res,) = egraph.run_program(*egraph.parse_program(
                f"(run-schedule (seq (run {rs}) (saturate (run {ANALYSIS}))))"))
            matches = res.report.num_matches_per_rule
            if not any(matches.get(n, 0) for n in egg_names):
                continue
            snap = snapshot(egraph)
            roots = [snap.index_class[index[o.uid]] for o in folded.outputs]
            sel = Extractor(snap, model).select(roots)
            g = fold_constants(bridge.selection_to_graph(
                [(n.cls, n.op, list(n.children), n.attrs) for n in sel.order], roots, original))
            if g.fingerprint() == current.fingerprint():
                if name not in pending:
                    pending.append(name)
                continue
            out.steps.append(Step(name, str(current), str(g), [p for p in pending if p != name]))
            pending, current, progress = [], g, True
            if g.fingerprint() == target:
                return out
        if not progress:
            break
    out.complete = current.fingerprint() == target
    if not out.complete:
        out.steps.append(Step("(remaining rules together)", str(current), str(final), pending))
        out.note = "the replay did not reach the optimized graph rule by rule"
    return out
