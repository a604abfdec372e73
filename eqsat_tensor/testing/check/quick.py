"""The first-use check of user rule files in ``et.optimize``: a quick ``check_rules``
(within ``SECONDS``), cached by the rules' hash, that warns naming unsound and
accuracy-losing rules. Shipped rules are checked in CI and skipped here. Opt out with
``et.optimize(..., check_rules=False)`` or ``EQSAT_TENSOR_CHECK_RULES=0``."""

from __future__ import annotations

import os
import time
import warnings

from ...rulelang.ast import Rule, RuleSet
from .results import RuleResult

SECONDS = 2.0
EXAMPLES = 20
_WARNED: set[tuple[str, str]] = set()


def _user_rules(rules: RuleSet) -> list[Rule]:
    return [r for r in rules.rules if not r.source.startswith("rules/")]


def quick_check(rules: RuleSet, seconds: float = SECONDS) -> list[RuleResult]:
    """Check the user rules of ``rules`` quickly (cached per rule); return the failing
    results. Rules not reached within ``seconds`` are checked on a later call."""
    from . import check_rules

    user = _user_rules(rules)
    if not user:
        return []
    report = check_rules(user, examples=EXAMPLES, deadline=time.monotonic() + seconds)
    return [r for r in report.results if not r.ok]


def warn_unchecked(rules: RuleSet, seconds: float = SECONDS) -> list[str]:
    """Run ``quick_check`` (within ``seconds``) unless disabled; warn once per rule and
    verdict; return the warning texts (for the optimizer's report notes)."""
    if os.environ.get("EQSAT_TENSOR_CHECK_RULES", "1") in ("0", "false", "no"):
        return []
    notes = []
    for r in quick_check(rules, seconds):
        msg = (f"rule {r.name} ({r.rule.source}:{r.rule.line}) is {r.verdict}: {r.reason}"
               + (f"; counterexample {r.counterexample.inputs}" if r.counterexample else ""))
        notes.append(msg)
        if (r.name, r.verdict) not in _WARNED:
            _WARNED.add((r.name, r.verdict))
            warnings.warn(f"eqsat-tensor: {msg}", RuntimeWarning, stacklevel=3)
    return notes
