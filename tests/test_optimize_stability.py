"""Acceptance: stable rewrites make naive formulas accurate (mpmath as the oracle)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from _engine_rules import RULES

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.optimizer import optimize

mpmath.mp.dps = 50


def rel_err(got: float, exact) -> float:
    return float(abs((mpmath.mpf(float(got)) - exact) / exact))


@pytest.fixture(params=["test-rules", "shipped-rules"])
def rules(request):
    return RULES if request.param == "test-rules" else et.default_rules()


def run(expr, arrays, rules):
    graph = et.as_graph(expr)
    res = optimize(graph, rules=rules, fallback=False)
    naive = evaluate(graph, arrays)[0]
    better = evaluate(res.graph, arrays)[0]
    return naive, better, res


def test_log1p_at_tiny_x(rules):
    x = et.tensor("x", ())
    naive, better, res = run(et.log(1 + x), [np.float64(1e-12)], rules)
    exact = mpmath.log1p(mpmath.mpf(1e-12))
    assert rel_err(naive, exact) > 1e-6
    assert rel_err(better, exact) < 1e-12
    assert str(res.graph) == "log1p(x)"


def test_log_one_minus_sigmoid_at_40(rules):
    x = et.tensor("x", ())
    naive, better, res = run(et.log(1 - et.sigmoid(x)), [np.float64(40.0)], rules)
    t = mpmath.mpf(40)
    exact = mpmath.log(1 - 1 / (1 + mpmath.exp(-t)))
    assert not np.isfinite(naive) or rel_err(naive, exact) > 1e-3
    assert rel_err(better, exact) < 1e-12
    assert "softplus" in res.graph.op_counts()


def test_log_sum_exp_with_entries_1000(rules):
    a = et.tensor("A", (3, 4))
    arr = np.full((3, 4), 1000.0) + np.arange(12.0).reshape(3, 4) * 1e-3
    naive, better, res = run(et.log(et.sum(et.exp(a))), [arr], rules)
    exact = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in arr.ravel()))
    assert not np.isfinite(naive)
    assert rel_err(better, exact) < 1e-12
    assert res.graph.outputs[0].op == "logsumexp"
