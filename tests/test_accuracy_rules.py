"""rules/accuracy.rules: parses, compiles for the engine, passes check_rules (soundness
against the reference backend and the mpmath oracle; [stability] rules at least as
accurate as their left side), and each rule improves its left side where it is meant to."""

from __future__ import annotations

import numpy as np
import pytest

from eqsat_tensor import accuracy
from eqsat_tensor.interop.exprtext import parse_expression
from eqsat_tensor.rulelang import default_rules, shipped_rule_files


def test_shipped_and_compiles():
    from eqsat_tensor.egraph.compiler import compile_rules

    assert "accuracy" in shipped_rule_files()
    rs = default_rules("accuracy")
    assert len(rs.rules) >= 30
    assert any("stability" in r.tags for r in rs.rules)
    compiled = compile_rules(rs, "finite")
    assert {c.rule.name for c in compiled.rules} == {r.name for r in rs.rules}


def test_check_rules_sound():
    from eqsat_tensor.testing.check import check_rules

    # the untagged rules are candidates that the accuracy optimizer measures against the
    # oracle before it keeps one (better on part of the range only); the [stability] ones
    # claim to be never less accurate, and that is checked
    stable = [r for r in default_rules("accuracy").rules if "stability" in r.tags]
    report = check_rules(stable, examples=15, cache=False)
    assert len(report) == len(stable) and report.ok, str(report)


@pytest.mark.parametrize("lhs, rhs, pre", [
    ("sqrt(x + 1) - sqrt(x)", "1 / (sqrt(x + 1) + sqrt(x))", {"x": (1e8, 1e15)}),
    ("1 - cos(x)", "2 * sin(x / 2) ** 2", {"x": (1e-9, 1e-3)}),
    ("exp(a) - exp(b)", "exp(b) * expm1(a - b)", {"a": (1.0, 1.0 + 1e-9), "b": (1.0, 1.0)}),
    ("log((1 + x) / (1 - x))", "log1p(2 * x / (1 - x))", {"x": (1e-12, 1e-4)}),
    ("(x + d) ** 2 - x ** 2", "(x + d + x) * d", {"x": (1e6, 1e9), "d": (-1, 1)}),
    ("sin(x + d) - sin(x)", "2 * cos(x + d / 2) * sin(d / 2)", {"x": (0, 3), "d": (1e-12, 1e-8)}),
    ("arccos(1 - x)", "2 * arcsin(sqrt(x / 2))", {"x": (1e-12, 1e-4)}),
    ("(exp(x) - exp(-x)) / (exp(x) + exp(-x))", "tanh(x)", {"x": (-1e-6, 1e-6)}),
])
def test_right_side_is_more_accurate(lhs, rhs, pre):
    g = parse_expression(lhs)
    r = parse_expression(rhs, inputs=list(g.input_names))
    s = accuracy.sample(g, pre, 300, seed=3)
    before = accuracy.measure_accuracy(g, s).mean[0]
    after = accuracy.measure_accuracy(r, s).mean[0]
    assert after < 1.0 and after < before, (before, after)
    assert np.isfinite(after)


@pytest.mark.parametrize("name", ["asin-sub-pos", "asin-sub-neg", "acos-sub-pos",
                                  "acos-sub-neg", "pow-diff-pos"])
def test_third_session_rules_are_sound_and_not_less_accurate(name):
    """The inverse-sine and power-difference rules hold the finite contract, accuracy
    included (no more than 16 ulps worse than the left side anywhere the checker samples:
    edge values, subnormals, values next to the guards)."""
    from eqsat_tensor.testing.check import check_rules

    rule = next(r for r in default_rules("accuracy").rules if r.name == name)
    res = check_rules(rule, examples=100, cache=False).results[0]
    assert res.verdict == "sound", str(res)


@pytest.mark.parametrize("lhs, pre", [
    ("arcsin(x + d) - arcsin(x)", {"x": (0.1, 0.9), "d": (1e-14, 1e-6)}),
    ("(x + 1) ** 0.3 - x ** 0.3", {"x": (1e6, 1e12)}),
])
def test_third_session_families_improve(lhs, pre):
    g = parse_expression(lhs)
    res = accuracy.optimize_accuracy(g, pre, n_samples=300)
    s = accuracy.sample(g, pre, 300, seed=5)
    before = accuracy.measure_accuracy(g, s).total
    after = accuracy.measure_accuracy(res.graph, s).total
    assert before > 8 and after < 2.0, (before, after, str(res.graph))
