"""[fast] rules under ``ieee="finite"``: fire only where the analyses prove the magnitudes
safe (issue #29, docs/soundness.md).

A ``[fast]`` rule is exact in real arithmetic only: regrouping a sum or a product,
factoring, moving a scalar through a reduction or a matmul may create an overflow, an
underflow to zero or a cancellation the original did not have. Under the finite contract
such a rule is compiled as two guarded variants instead of being dropped:

* ``~pos``: every tensor variable of the left side is ``positive`` and ``moderate``;
* ``~neg``: every one is ``negative`` and ``moderate``.

``moderate(x)`` (``rulelang.ast.MODERATE``, proved by the interval analysis from constants,
bounded functions, sums and products of bounded terms) keeps each magnitude within
2^-100..2^100 for float64 (2^-20..2^20 for float32), so no product or sum of a few such
values overflows or underflows, and a single sign means a regrouped sum has no
cancellation: both sides agree within a few ulps. Only rules over rational arithmetic
(``GUARDABLE_OPS``) get variants; a transcendental right side (``exp(a + b)``) amplifies
the rounding of its argument, so those stay ``ieee="fast"`` only. The variants are
ordinary rules with ordinary guards, so ``check_rules`` verifies them under the finite
contract like any other rule (tests/test_check_rules.py).
"""

from __future__ import annotations

import dataclasses

from ..ir import OPS
from ..rulelang.ast import App, Guard, Rule, Var

# ops whose [fast] rules get magnitude-guarded variants under ieee="finite"
GUARDABLE_OPS = frozenset({"add", "sub", "neg", "mul", "div", "sum", "mean", "matmul"}
                          | {op for op, spec in OPS.items() if spec.kind == "layout"})


def _ops_and_vars(p: object) -> tuple[set[str], list[str]]:
    ops: set[str] = set()
    names: list[str] = []
    stack = [p]
    while stack:
        q = stack.pop()
        if isinstance(q, Var):
            if q.name not in names:
                names.append(q.name)
        elif isinstance(q, App):
            ops.add(q.op)
            stack.extend(q.args)
    return ops, sorted(names)


def guardable(rule: Rule) -> bool:
    """Whether ``rule`` ([fast]) has magnitude-guarded variants under ieee="finite"."""
    lops, _ = _ops_and_vars(rule.lhs)
    rops, _ = _ops_and_vars(rule.rhs)
    return bool(lops) and (lops | rops) <= GUARDABLE_OPS


def finite_variants(rule: Rule) -> list[tuple[str, Rule]]:
    """The guarded variants of a [fast] ``rule`` for ieee="finite": (suffix, rule) pairs;
    empty if the rule is not ``guardable``. The variants drop the ``fast`` tag."""
    if "fast" not in rule.tags or not guardable(rule):
        return []
    _, names = _ops_and_vars(rule.lhs)
    out = []
    for suffix, sign in (("~pos", "positive"), ("~neg", "negative")):
        extra = tuple(Guard(kind, (Var(n),)) for n in names for kind in (sign, "moderate"))
        words = " and ".join(f"{n} {'>' if sign == 'positive' else '<'} 0 and moderate({n})"
                             for n in names)
        out.append((suffix, dataclasses.replace(
            rule, guards=tuple(rule.guards) + extra, tags=rule.tags - {"fast"},
            text=f"{rule.text}  [finite variant {suffix}: if {words}]")))
    return out
