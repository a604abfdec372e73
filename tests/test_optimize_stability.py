"""Acceptance: stable rewrites make naive formulas accurate (mpmath as the oracle)."""

from __future__ import annotations

import mpmath
import numpy as np
from _engine_rules import RULES

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.optimizer import optimize

mpmath.mp.dps = 50


def rel_err(got: float, exact) -> float:
    return float(abs((mpmath.mpf(float(got)) - exact) / exact))


def run(expr, arrays):
    graph = et.as_graph(expr)
    res = optimize(graph, rules=RULES, fallback=False)
    naive = evaluate(graph, arrays)[0]
    better = evaluate(res.graph, arrays)[0]
    return naive, better, res


def test_log1p_at_tiny_x():
    x = et.tensor("x", ())
    naive, better, res = run(et.log(1 + x), [np.float64(1e-12)])
    exact = mpmath.log1p(mpmath.mpf(1e-12))
    assert rel_err(naive, exact) > 1e-6
    assert rel_err(better, exact) < 1e-12
    assert str(res.graph) == "log1p(x)"


def test_log_one_minus_sigmoid_at_40():
    x = et.tensor("x", ())
    naive, better, res = run(et.log(1 - et.sigmoid(x)), [np.float64(40.0)])
    t = mpmath.mpf(40)
    exact = mpmath.log(1 - 1 / (1 + mpmath.exp(-t)))
    assert not np.isfinite(naive) or rel_err(naive, exact) > 1e-3
    assert rel_err(better, exact) < 1e-12
    assert "softplus" in res.graph.op_counts()


def test_log_sum_exp_with_entries_1000():
    a = et.tensor("A", (3, 4))
    arr = np.full((3, 4), 1000.0) + np.arange(12.0).reshape(3, 4) * 1e-3
    naive, better, res = run(et.log(et.sum(et.exp(a))), [arr])
    exact = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in arr.ravel()))
    assert not np.isfinite(naive)
    assert rel_err(better, exact) < 1e-12
    assert res.graph.outputs[0].op == "logsumexp"
