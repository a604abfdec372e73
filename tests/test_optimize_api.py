"""``et.optimize`` as users call it: shipped rules, guards, report, explain, fallback, jit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.optimizer import OptimizationError


def test_public_names():
    assert et.optimize is not None and et.Budget().iters == 30
    assert et.Report is not None and et.OptimizeResult is not None and et.calibrate


def test_guards_with_shipped_rules():
    x, y, z = et.tensor("x", (3,)), et.tensor("y", (3,)), et.tensor("z", (3,))
    assert "div" in et.optimize(x * y / x).graph.op_counts()
    assert str(et.optimize(et.exp(z) * y / et.exp(z)).graph) == "y"


def test_report_and_explain():
    x, y = et.tensor("x", ()), et.tensor("y", ())
    res = et.optimize(et.log(1 + et.exp(x)) * y)
    rep = res.report
    assert rep.stop_reason in ("saturated", "iteration limit", "node limit", "time limit")
    assert rep.cost_after < rep.cost_before and rep.rules_fired and rep.iterations >= 1
    assert rep.egraph_nodes >= rep.nodes_after and set(rep.phase_seconds) == {
        "canonicalize", "stability", "specialize"}
    text = str(rep)
    assert "rules fired" in text and "extractor" in text and "cost model" in text
    from rich.console import Console

    console = Console(record=True, width=100)
    console.print(rep)
    assert "stop" in console.export_text()
    ex = res.explain()
    assert ex.complete and ex.steps and ex.steps[-1].after == "softplus(x) * y"
    assert "softplus" in str(ex)


def test_values_equal_on_the_reference_backend():
    x, y = et.tensor("x", (5,)), et.tensor("y", (5,))
    expr = et.log(1 + et.exp(x)) * y + et.exp(x) / (1 + et.exp(x)) - (x - x) * y
    g = et.as_graph(expr)
    res = et.optimize(g)
    rng = np.random.default_rng(0)
    for _ in range(3):
        arrays = [rng.standard_normal(5) * 3 for _ in g.inputs]
        np.testing.assert_allclose(evaluate(res.graph, arrays)[0], evaluate(g, arrays)[0],
                                   rtol=1e-9, atol=1e-12)


def test_internal_failure_falls_back_and_says_so(monkeypatch):
    from eqsat_tensor.egraph import extract

    def boom(*a, **k):
        raise RuntimeError("extractor exploded")

    monkeypatch.setattr(extract.Extractor, "select", boom)
    x = et.tensor("x", ())
    g = et.as_graph(et.log(1 + x))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = et.optimize(g)
    assert res.graph is g and res.report.fallback
    assert "extractor exploded" in res.report.notes[-1] and caught
    with pytest.raises(OptimizationError, match="extractor exploded"):
        et.optimize(g, fallback=False)


def test_several_candidates():
    x = et.tensor("x", (3,))
    res = et.optimize(et.log(1 + x), candidates=3)
    assert res.candidates and str(res.candidates[0]) == str(res.graph)
    assert len({str(c) for c in res.candidates}) == len(res.candidates)


def test_jit_optimizes():
    @et.jit
    def f(x, y):
        return np.log(1 + np.exp(x)) * y - x * y / x

    x = np.linspace(-3, 3, 6)  # no zero: x * y / x stays (x may be 0)
    y = np.ones(6)
    got = f(x, y)
    np.testing.assert_allclose(got, np.logaddexp(0, x) * y - x * y / x, rtol=1e-12)
    # softplus, or its expansion max(x, 0) + log1p(exp(-|x|)) where the backend's cost
    # table measured that faster
    text = str(f.optimized_graph(x, y))
    assert "softplus" in text or "log1p(exp(-abs(x)))" in text, text
    assert f.report(x, y).rules_fired


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_keep_their_values(seed):
    from _graphs import safe_random_graph

    g = safe_random_graph(40, seed=seed)
    res = et.optimize(g, fallback=False)
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.5, 1.5, 7) for _ in g.inputs]
    want = evaluate(g, arrays, {"n": 7})[0]
    got = evaluate(res.graph, arrays, {"n": 7})[0]
    assert np.isfinite(want).all()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_rule_errors_propagate():
    from _engine_rules import A, R, x, y

    from eqsat_tensor.errors import RuleError
    from eqsat_tensor.rulelang.ast import RuleSet

    bad = RuleSet("t", (R("bad", A("exp", x), A("add", x, y)),))
    with pytest.raises(RuleError, match="not bound"):
        et.optimize(et.exp(et.tensor("x", ())), rules=bad)


def test_optimize_from_several_threads():
    """egglog e-graphs may only be used by the thread that made them: each thread keeps
    its own cached program, and every thread gets the fully optimized graph."""
    import threading
    import warnings

    x = et.tensor("x", shape=("n",))
    y = et.tensor("y", shape=("n",))
    g = et.log(1 + et.exp(x)) * y + et.exp(x) * y / et.exp(x)
    budget = et.Budget(seconds=120)  # about threads, not time: a loaded machine must not cut it
    want = str(et.optimize(g, budget=budget).graph)
    results, errors = [], []

    def work():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a fallback to the input graph warns
                res = et.optimize(g, budget=budget)
            results.append((str(res.graph), res.report.stop_reason, res.report.fallback))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == [(want, "saturated", False)] * 3
    assert "softplus" in want and "/" not in want
