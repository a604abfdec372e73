"""Checking one direction of one rule: vectorized over a long batch of samples when both
sides are elementwise, else over many small shaped instances; the first failure is
shrunk to a minimal counterexample."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...ir import OPS, Graph
from ...rulelang.ast import Rule
from . import inputs, shrink
from .instance import Built, IllTyped, Rejected, build, draw_attrs, exact_at
from .judge import Judgement, judge
from .plan import Plan, apps, make_plan
from .results import Counterexample, RuleResult

DTYPES = ("float64", "float32")


class _Failed(Exception):
    def __init__(self, kind: str, cex: Counterexample, region: str = "") -> None:
        super().__init__(kind)
        self.kind, self.cex, self.region = kind, cex, region


def _judge_built(plan: Plan, b: Built, mask: np.ndarray | None, acc: float) -> Judgement:
    """Judge an instance (shaped mode: every element; the guard must hold everywhere)."""
    def exact_fn(flat: np.ndarray):
        return exact_at(b, flat, plan.tier == "fast")

    lv, rv = b.lv, b.rv
    if mask is not None:
        lv, rv = lv[mask], rv[mask]
    return judge(plan.tier, plan.strict_inputs, lv, rv, exact_fn, accuracy_ulps=acc,
                 rhs_ops=plan.rhs_ops)


def _text(node: Any, b: Built) -> str:
    return str(Graph(node, inputs=b.inputs))


def _counterexample(plan: Plan, dtype: str, values: dict[str, np.ndarray],
                    attrs: dict[str, Any], acc: float, kind: str
                    ) -> tuple[str, Counterexample]:
    """The verdict on the shrunk instance and its counterexample."""
    b = build(plan, dtype, values, attrs)
    j = _judge_built(plan, b, None, acc)
    f = j.first()
    index = np.unravel_index(f.flat, b.lv.shape) if f is not None and b.lv.ndim else None
    shown = {k: (v.item() if v.ndim == 0 else v) for k, v in values.items()}
    shown.update(attrs)
    return j.kind or kind, Counterexample(
        shown, dtype, _text(b.lhs, b), _text(b.rhs, b), b.lv, np.array(b.rv),
        tuple(int(i) for i in index) if index else None, f.exact if f is not None else None,
        f.reason if f is not None else kind)


def _fails_as(plan: Plan, dtype: str, attrs: dict[str, Any], acc: float, kind: str):
    def fails(values: dict[str, np.ndarray]) -> bool:
        try:
            b = build(plan, dtype, values, attrs)
        except (Rejected, IllTyped):
            return False
        if not b.guard.all():
            return False
        j = _judge_built(plan, b, None, acc)
        return j.kind == kind or (kind == "accuracy-losing" and j.kind == "unsound")
    return fails


def _region(plan: Plan, values: dict[str, np.ndarray], flats: list[int]) -> str:
    parts = []
    for v in plan.tensor_vars:
        pts = values[v][flats].astype(np.float64)
        parts.append(f"{v} in [{float(pts.min())!r}, {float(pts.max())!r}]")
    return ", ".join(parts)


def _check_batch(plan: Plan, dtype: str, rng: np.random.Generator, n_random: int,
                 acc: float, result: RuleResult) -> None:
    values = inputs.batch(plan, dtype, rng, n_random)
    try:
        b = build(plan, dtype, values, {})
    except Rejected:
        return
    valid = np.flatnonzero(np.ravel(b.guard))
    if len(valid) == 0:
        return
    sub = {k: v[valid] for k, v in values.items()}
    b = build(plan, dtype, sub, {})
    result.samples += len(valid)

    def exact_fn(flat: np.ndarray):
        small = build(plan, dtype, {k: v[flat] for k, v in sub.items()}, {})
        return exact_at(small, np.arange(len(flat)), plan.tier == "fast")

    j = judge(plan.tier, plan.strict_inputs, b.lv, b.rv, exact_fn, accuracy_ulps=acc,
              rhs_ops=plan.rhs_ops)
    result.max_ulps = max(result.max_ulps, j.max_ulps)
    result.checked_exact += j.checked_exact
    kind = j.kind
    if kind is None:
        return
    flats = [f.flat for f in j.findings if f.kind == kind]
    region = _region(plan, sub, flats) if kind == "accuracy-losing" else ""
    if region:
        region = f"{len(flats)} of {j.checked_exact} inputs judged by the oracle, {region}"
    scalar = {k: np.asarray(v[flats[0]], dtype=dtype) for k, v in sub.items()}
    fails = _fails_as(plan, dtype, {}, acc, kind)
    if fails(scalar):
        scalar = shrink.shrink_values(scalar, dtype, fails, _special(plan))
    kind, cex = _counterexample(plan, dtype, scalar, {}, acc, kind)
    raise _Failed(kind, cex, region)


def _special(plan: Plan):
    return lambda var: plan.strict_inputs and var not in plan.finite


def _check_shaped(plan: Plan, dtype: str, rng: np.random.Generator, n: int, acc: float,
                  result: RuleResult) -> None:
    for k in range(n):
        shapes = inputs.shapes(plan, rng)
        values = {v: inputs.small_values(plan, v, dtype, rng, shapes[v], k % 3)
                  for v in plan.tensor_vars}
        try:
            attrs = draw_attrs(plan, dtype, values,
                               lambda op, attr, shape: inputs.attr_value(rng, op, attr, shape))
            b = build(plan, dtype, values, attrs)
        except Rejected:
            continue
        except IllTyped:
            result.ill_typed += 1
            continue
        if not b.guard.all():
            continue
        result.samples += max(1, b.lv.size)
        j = _judge_built(plan, b, None, acc)
        result.max_ulps = max(result.max_ulps, j.max_ulps)
        result.checked_exact += j.checked_exact
        if j.kind is None:
            continue
        fails = _fails_as(plan, dtype, attrs, acc, j.kind)
        small = shrink.shrink_shapes(values, fails)
        small = shrink.shrink_values(small, dtype, fails, _special(plan))
        raise _Failed(*_counterexample(plan, dtype, small, attrs, acc, j.kind))


def check_one(rule: Rule, direction: str, ieee: str, examples: int, seed: int | None,
              accuracy_ulps: float) -> RuleResult:
    """Check ``rule`` in ``direction`` under ``ieee`` against the tier its tags claim."""
    plan = make_plan(rule, direction, ieee)
    result = RuleResult(rule.name, rule, direction, ieee, plan.tier)
    unknown = sorted({a.op for a in apps(plan.lhs) + apps(plan.rhs)} - set(OPS))
    if unknown:
        result.verdict, result.reason = "skipped", f"unknown op(s) {unknown}"
        return result
    text = rule.text or repr(rule)
    rng = np.random.default_rng(inputs.seed_for(f"{text}|{direction}|{ieee}", seed))
    try:
        with np.errstate(all="ignore"):
            for dtype in DTYPES:
                if plan.elementwise:
                    _check_batch(plan, dtype, rng, max(50, examples * 15), accuracy_ulps,
                                 result)
                else:
                    _check_shaped(plan, dtype, rng, max(8, examples // 2), accuracy_ulps,
                                  result)
    except IllTyped:
        result.ill_typed += 1
    except _Failed as exc:
        result.verdict, result.reason = exc.kind, exc.cex.reason
        result.counterexample, result.region = exc.cex, exc.region
        if exc.region:
            result.reason += f" (region: {exc.region})"
        result.samples = max(result.samples, 1)
    if result.verdict == "sound" and result.samples == 0:
        result.verdict = "skipped"
        result.reason = "no well-typed input satisfying the guard was found"
        if result.ill_typed:
            result.reason += " (the right side was ill-typed)"
    if math.isinf(result.max_ulps):
        result.max_ulps = 0.0
    return result
