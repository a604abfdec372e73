"""``check_rules``: test rewrite rules against the floating-point contract of their tier
(docs/soundness.md), deterministically and fast.

Each rule (each direction of a bidirectional one) is checked against the tier its tags
claim: ``[strict]`` rules bit for bit on inputs with +-0, +-inf and NaN; ``[fast]`` rules
as identities of real arithmetic; ``[stability]`` rules as never less accurate than the
left side; the others (``finite``) for finite inputs: the right side is finite where the
left side is, NaN where it is undefined, and never more than ``accuracy_ulps`` ulps less
accurate against the mpmath oracle. Inputs come from a generator seeded by the rule
text (same verdict on every run; ``seed`` explores), always include the edge values, and
rules whose sides are elementwise are evaluated on one long vector of samples at once.
Failures are shrunk to scalars where the rule allows and simple values
(``x = -1.0, y = 0.0``). Verdicts are cached (``cache``) by rule text and checker version.

Modules: ``plan`` (what a rule needs), ``inputs`` (values, shapes, attributes),
``instance`` (build and evaluate one instance), ``judge`` (the contract, vectorized),
``shrink``, ``runner`` (one rule), ``cache``, ``results``, ``graphs`` (whole graphs) and
``quick`` (the first-use check of user rule files in ``et.optimize``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from os import PathLike
from typing import Any

from ...rulelang.ast import Rule, RuleSet
from . import cache as _cache
from .graphs import compare_graphs
from .judge import ACCURACY_ULPS, TOL_ULPS
from .plan import tier_of
from .quick import quick_check, warn_unchecked
from .results import CheckReport, Counterexample, RuleResult
from .runner import check_one

RulesLike = RuleSet | Rule | str | PathLike | Iterable[Any]


def _collect(rules: RulesLike) -> list[Rule]:
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, RuleSet):
        return list(rules.rules)
    if isinstance(rules, (str, PathLike)):
        from ...rulelang import load_rules  # the parser; imported only for file input

        return list(load_rules(rules).rules)
    out: list[Rule] = []
    for item in rules:
        out.extend(_collect(item))
    return out


def _tasks(rules: list[Rule]) -> list[tuple[Rule, str]]:
    return [(r, d) for r in rules for d in (["=>", "<="] if r.bidirectional else ["=>"])]


def _run_task(args: tuple) -> RuleResult:
    return check_one(*args)


def check_rules(rules: RulesLike, examples: int = 200, ieee: str = "finite",
                seed: int | None = None,
                progress: Callable[[RuleResult], None] | None = None, *,
                accuracy_ulps: float = ACCURACY_ULPS, jobs: int = 1, cache: bool = True,
                deadline: float | None = None) -> CheckReport:
    """Check rewrite rules against the contract of their tier on the reference backend.

    Parameters
    ----------
    rules
        A ``RuleSet``, a ``Rule``, a rule file path, or an iterable of those.
    examples
        Effort per rule and direction: ``15 * examples`` random samples per dtype for
        elementwise rules (plus the edge-value grid), ``examples / 3`` shaped instances
        per dtype for the others.
    ieee
        ``"finite"`` (default): each rule against its own tier. ``"strict"``: every rule
        also on +-inf, NaN and signed-zero inputs, with special values matching exactly.
    seed
        ``None``: the seed is derived from each rule's text (the same verdict every run).
        An int mixes in, to explore other inputs.
    progress
        Called with each ``RuleResult`` as it is finished.
    accuracy_ulps
        A right side more than this many ulps less accurate than the left side (against
        the oracle) makes the rule ``accuracy-losing``.
    jobs
        Worker processes for uncached checks (1: in this process).
    cache
        Read and write cached verdicts (keyed by rule text, settings, checker version).
    deadline
        ``time.monotonic()`` value after which remaining rules are left unchecked.

    Returns
    -------
    CheckReport
        One ``RuleResult`` per rule and direction; a failing one carries a shrunk
        ``Counterexample`` (and, when accuracy-losing, the region).
    """
    if ieee not in ("finite", "strict", "fast"):
        raise ValueError(f"ieee must be 'finite', 'strict' or 'fast', got {ieee!r}")
    mode = "strict" if ieee == "strict" else "finite"
    t0 = time.perf_counter()
    report = CheckReport(ieee=mode, examples=examples, seed=seed)
    settings = (examples, seed, float(accuracy_ulps))
    tasks = _tasks(_collect(rules))
    results: list[RuleResult | None] = [None] * len(tasks)
    todo = []
    for i, (rule, direction) in enumerate(tasks):
        got = _cache.load(_cache.key(rule, direction, mode, settings), rule) if cache else None
        if got is not None:
            results[i] = got
            if progress is not None:
                progress(got)
        else:
            todo.append(i)

    def done(i: int, res: RuleResult) -> None:
        results[i] = res
        if cache:
            _cache.store(_cache.key(tasks[i][0], tasks[i][1], mode, settings), res)
        if progress is not None:
            progress(res)

    args = [(tasks[i][0], tasks[i][1], mode, examples, seed, accuracy_ulps) for i in todo]
    if jobs > 1 and len(todo) >= 4 and deadline is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: forking a process that may run threads (numba, egglog) is unsafe
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for i, res in zip(todo, pool.map(_run_task, args, chunksize=1)):
                done(i, res)
    else:
        for i, a in zip(todo, args):
            if deadline is not None and time.monotonic() > deadline:
                break
            done(i, check_one(*a))
    report.results = [r for r in results if r is not None]
    report.seconds = time.perf_counter() - t0
    return report


def count_checks(rules: RulesLike, ieee: str = "finite") -> tuple[list[Rule], int]:
    """The rules ``check_rules`` would check and how many checks that makes."""
    collected = _collect(rules)
    return collected, len(_tasks(collected))


def default_jobs() -> int:
    """Worker processes for the CLI: the CPUs available, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(4, n))


__all__ = ["ACCURACY_ULPS", "CheckReport", "Counterexample", "RuleResult", "TOL_ULPS",
           "check_rules", "compare_graphs", "count_checks", "default_jobs", "quick_check",
           "tier_of", "warn_unchecked"]
