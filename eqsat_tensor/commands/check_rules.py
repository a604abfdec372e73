"""``eqsat-tensor check-rules [FILE...] [--ieee strict] [--examples N] [--seed S]``.

Property-tests rule files for soundness (``eqsat_tensor.testing.check.check_rules``) with
a ``rich`` progress bar, prints a table (rule, samples, max error, verdict) and the shrunk
counterexample of every unsound rule. Exit code 0 when every rule is sound, 1 when one is
unsound, 2 on a malformed rule file (``RuleError``, reported as ``file:line:col``). With
no files, the shipped rules are checked.
"""

from __future__ import annotations

import argparse
import sys

HELP = "property-test rule files for soundness"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``check-rules``."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="rule files (default: the shipped rules)")
    parser.add_argument("--ieee", choices=("finite", "strict"), default="finite",
                        help="finite inputs (default), or also inf/nan/signed zeros")
    parser.add_argument("--examples", type=int, default=200, metavar="N",
                        help="hypothesis examples per rule and direction (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="fix the random seed")
    parser.add_argument("--rule", action="append", default=None, metavar="NAME",
                        help="check only this rule (repeatable)")


def _load(files: list[str]):
    from ..rulelang import default_rules, load_rules

    if not files:
        return default_rules()
    ruleset = load_rules(files[0])
    for f in files[1:]:
        ruleset = ruleset + load_rules(f)
    return ruleset


def _fmt_error(ulps: float) -> str:
    return f"{ulps:.3g} ulp" if ulps < float("inf") else "inf"


def run(args: argparse.Namespace) -> int:
    """Check the rules; 0 if all sound, 1 if one is unsound, 2 on a RuleError."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from ..errors import RuleError
    from ..testing.check import check_rules, count_checks

    console = Console()
    try:
        ruleset = _load(list(args.files))
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.rule:
        ruleset = ruleset.select(names=set(args.rule))
    rules, total = count_checks(ruleset, args.ieee)
    with Progress(TextColumn("[bold]check-rules"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("", total=total)

        def step(result) -> None:
            bar.update(task, advance=1, description=escape(result.label))

        report = check_rules(rules, examples=args.examples, ieee=args.ieee, seed=args.seed,
                             progress=step)
    table = Table(title=f"{len(rules)} rules, ieee={args.ieee}, {args.examples} examples each")
    for col, just in (("rule", "left"), ("samples", "right"), ("max error", "right"),
                      ("verdict", "left")):
        table.add_column(col, justify=just)
    style = {"sound": "green", "unsound": "bold red", "skipped": "yellow"}
    for r in report:
        verdict = f"[{style[r.verdict]}]{r.verdict}[/]"
        if r.verdict == "skipped":
            verdict += f" ({escape(r.reason)})"
        notes = []
        if r.verdict == "sound" and r.conditioned:
            notes.append(f"{r.conditioned} ill-conditioned elements within rounding bounds")
        if r.verdict == "sound" and r.range_issues:
            notes.append(f"{r.range_issues} elements over/underflow in an intermediate")
        if r.verdict == "sound" and r.ill_typed:
            notes.append(f"does not fire on {r.ill_typed} ill-typed instances")
        if r.verdict == "sound" and r.undecided:
            notes.append(f"{r.undecided} elements undecided by the oracle")
        if notes:
            verdict += f" ({'; '.join(notes)})"
        table.add_row(escape(r.label), str(r.samples), _fmt_error(r.max_ulps), verdict)
    console.print(table)
    for r in report.unsound:
        loc = f"{r.rule.source}:{r.rule.line}" if r.rule.line else r.rule.source
        console.print(f"\n[bold red]unsound[/] {escape(r.label)} ({escape(loc)}): "
                      f"{escape(r.rule.text or '')}")
        if r.counterexample is not None:
            console.print(escape(str(r.counterexample)), highlight=False)
    n_bad = len(report.unsound)
    console.print(f"\n{len(report)} checks: {n_bad} unsound, {len(report.skipped)} skipped")
    return 1 if n_bad else 0
