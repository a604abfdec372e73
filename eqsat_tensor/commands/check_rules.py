"""``eqsat-tensor check-rules [FILE...] [--ieee strict] [--examples N] [--seed S]
[--accuracy-ulps N] [--jobs N] [--no-cache]``.

Checks rule files against the contract of each rule's tier
(``eqsat_tensor.testing.check.check_rules``, docs/soundness.md) with a ``rich`` progress
bar, prints a table (rule, tier, samples, max error, verdict) and the shrunk
counterexample of every unsound or accuracy-losing rule. Deterministic: the same files
give the same verdicts on every run (``--seed`` explores other inputs). Verdicts are
cached by rule text and checker version. Exit code 0 when every rule is sound, 1 when one
is unsound or accuracy-losing, 2 on a malformed rule file (``RuleError``, reported as
``file:line:col``). With no files, the shipped rules are checked.
"""

from __future__ import annotations

import argparse

HELP = "property-test rule files for soundness"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``check-rules``."""
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="rule files (default: the shipped rules)")
    parser.add_argument("--ieee", choices=("finite", "strict"), default="finite",
                        help="each rule against its tier (default), or every rule also on "
                             "inf/nan/signed zeros")
    parser.add_argument("--examples", type=int, default=200, metavar="N",
                        help="effort per rule and direction (default 200)")
    parser.add_argument("--seed", type=int, default=None,
                        help="explore other inputs (default: seeded by each rule's text)")
    parser.add_argument("--accuracy-ulps", type=float, default=16.0, metavar="N",
                        help="accuracy-losing beyond N ulps worse than the left side "
                             "(default 16)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes (default: the CPUs, at most 4)")
    parser.add_argument("--no-cache", action="store_true", help="ignore cached verdicts")
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

    from ..testing.check import check_rules, count_checks, default_jobs

    console = Console()
    # a malformed or missing rule file (RuleError, OSError) goes to the CLI's handler: one
    # line with file:line:col, exit status 2
    ruleset = _load(list(args.files))
    if args.rule:
        ruleset = ruleset.select(names=set(args.rule))
    rules, total = count_checks(ruleset, args.ieee)
    with Progress(TextColumn("[bold]check-rules"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("", total=total)

        def step(result) -> None:
            bar.update(task, advance=1, description=escape(result.label))

        report = check_rules(rules, examples=args.examples, ieee=args.ieee, seed=args.seed,
                             progress=step, accuracy_ulps=args.accuracy_ulps,
                             jobs=args.jobs or default_jobs(), cache=not args.no_cache)
    table = Table(title=f"{len(rules)} rules, ieee={args.ieee}, effort {args.examples}")
    for col, just in (("rule", "left"), ("tier", "left"), ("samples", "right"),
                      ("max error", "right"), ("verdict", "left")):
        table.add_column(col, justify=just)
    style = {"sound": "green", "unsound": "bold red", "accuracy-losing": "bold magenta",
             "skipped": "yellow"}
    for r in report:
        verdict = f"[{style[r.verdict]}]{r.verdict}[/]"
        if r.verdict == "skipped":
            verdict += f" ({escape(r.reason)})"
        elif r.verdict == "sound" and r.ill_typed:
            verdict += f" (does not fire on {r.ill_typed} ill-typed instances)"
        samples = str(r.samples) if r.samples else "-"
        table.add_row(escape(r.label), r.tier, samples, _fmt_error(r.max_ulps), verdict)
    console.print(table)
    for r in report.unsound + report.accuracy_losing:
        loc = f"{r.rule.source}:{r.rule.line}" if r.rule.line else r.rule.source
        console.print(f"\n[{style[r.verdict]}]{r.verdict}[/] {escape(r.label)} "
                      f"({escape(loc)}): {escape(r.rule.text or '')}")
        if r.region:
            console.print(f"region: {escape(r.region)}", highlight=False)
        if r.counterexample is not None:
            console.print(escape(str(r.counterexample)), highlight=False)
    n_bad, n_acc = len(report.unsound), len(report.accuracy_losing)
    cached = sum(r.cached for r in report)
    console.print(f"\n{len(report)} checks in {report.seconds:.1f} s ({cached} cached): "
                  f"{n_bad} unsound, {n_acc} accuracy-losing, {len(report.skipped)} skipped")
    return 1 if n_bad or n_acc else 0
