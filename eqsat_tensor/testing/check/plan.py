"""What to check for one direction of one rule: its variables, what the guards say about
them, its tier, and whether it can be checked on one long vector of samples at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...ir import OPS
from ...rulelang.ast import App, Guard, Rule, pattern_vars

SIGN_KINDS = ("nonzero", "positive", "nonnegative", "negative", "nonpositive")
SHAPE_KINDS = ("scalar", "unbatched", "matrix", "same_shape")
TIERS = ("strict", "finite", "fast", "stability")


def tier_of(rule: Rule) -> str:
    """The contract a rule claims by its tags: ``strict`` (bit-exact everywhere), ``fast``
    (exact in real arithmetic only), ``stability`` (never less accurate) or ``finite``."""
    for tag in ("strict", "fast", "stability"):
        if tag in rule.tags:
            return tag
    return "finite"


@dataclass
class Plan:
    """One direction of one rule, ready to sample."""

    rule: Rule
    direction: str
    lhs: Any
    rhs: Any
    tier: str
    strict_inputs: bool  # +-inf and NaN inputs (vars not guarded finite)
    tensor_vars: list[str]
    attr_vars: dict[str, str]  # attribute variable -> attribute name (axis, keepdims, ...)
    signs: dict[str, set[str]] = field(default_factory=dict)
    finite: set[str] = field(default_factory=set)
    scalar: set[str] = field(default_factory=set)
    const: set[str] = field(default_factory=set)
    exact_recip: set[str] = field(default_factory=set)
    unbatched: set[str] = field(default_factory=set)
    matrix: set[str] = field(default_factory=set)
    same_shape: list[set[str]] = field(default_factory=list)
    rhs_ops: int = 0  # rounding ops on the right side (a stability rule's allowance)

    @property
    def elementwise(self) -> bool:
        """Both sides elementwise with no attribute or shape guards: then every sample
        is one element of a long vector, checked all at once."""
        if self.attr_vars or self.scalar or self.unbatched or self.matrix:
            return False
        return all(OPS[a.op].kind == "elementwise" for a in apps(self.lhs) + apps(self.rhs))


def apps(p: Any) -> list[App]:
    """Every application in pattern ``p``."""
    out, stack = [], [p]
    while stack:
        q = stack.pop()
        if isinstance(q, App):
            out.append(q)
            stack.extend(q.args)
    return out


def attr_vars(p: Any, out: dict[str, str]) -> dict[str, str]:
    """Attribute variables of ``p`` (added to ``out``), mapped to the attribute's name."""
    for q in apps(p):
        for k, v in q.attrs:
            if hasattr(v, "name") and type(v).__name__ == "Var":
                out.setdefault(v.name, k)
    return out


def make_plan(rule: Rule, direction: str, ieee: str) -> Plan:
    """The plan for ``rule`` in ``direction`` (``=>`` or ``<=``) under ``ieee``."""
    lhs, rhs = (rule.lhs, rule.rhs) if direction == "=>" else (rule.rhs, rule.lhs)
    attrs = attr_vars(rhs, attr_vars(lhs, {}))
    tensor = sorted((pattern_vars(lhs) | pattern_vars(rhs)) - set(attrs))
    tier = tier_of(rule)
    plan = Plan(rule, direction, lhs, rhs, tier, tier == "strict" or ieee == "strict",
                tensor, attrs)
    for g in rule.guards:
        names = [a.name for a in g.args if type(a).__name__ == "Var"]
        if len(names) != len(g.args):
            continue  # a guard on an expression: evaluated on the sampled values only
        _note_guard(plan, g, names)
    plan.rhs_ops = sum(1 for a in apps(rhs) if a.op in OPS and OPS[a.op].kind != "layout"
                       and a.op not in ("neg", "abs", "where", "maximum", "minimum", "max",
                                        "min"))
    return plan


def _note_guard(plan: Plan, g: Guard, names: list[str]) -> None:
    if g.kind in SIGN_KINDS:
        plan.signs.setdefault(names[0], set()).add(g.kind)
    elif g.kind == "same_shape":
        group = set(names)
        for other in [s for s in plan.same_shape if s & group]:
            group |= other
            plan.same_shape.remove(other)
        plan.same_shape.append(group)
    else:
        target = {"finite": plan.finite, "scalar": plan.scalar, "const": plan.const,
                  "exact_recip": plan.exact_recip, "unbatched": plan.unbatched,
                  "matrix": plan.matrix}.get(g.kind)
        if target is not None:
            target.add(names[0])
