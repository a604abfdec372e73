"""Budgets bound every run; an exhausted budget still gives a valid, equal graph."""

from __future__ import annotations

import sys

import numpy as np
from _engine_rules import RULES
from _graphs import chain

from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.egraph.budget import (
    ITERATION_LIMIT,
    NODE_LIMIT,
    SATURATED,
    STOP_REASONS,
    TIME_LIMIT,
    Budget,
)
from eqsat_tensor.optimizer import optimize
from eqsat_tensor.testing.graphs import random_dag as random_graph


def same(before, after, n=5):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 1.5, n) for _ in before.inputs]
    want, got = evaluate(before, arrays, {"n": n}), evaluate(after, arrays, {"n": n})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9)


def test_iteration_limit():
    g = random_graph(120)
    res = optimize(g, rules=RULES, budget=Budget(iters=2), fallback=False)
    assert res.report.iterations <= 2
    assert res.report.stop_reason == ITERATION_LIMIT
    same(g, res.graph)


def test_node_limit():
    g = random_graph(120)
    res = optimize(g, rules=RULES, budget=Budget(nodes=150), fallback=False)
    assert res.report.stop_reason == NODE_LIMIT
    same(g, res.graph)


def test_time_limit():
    g = random_graph(300)
    res = optimize(g, rules=RULES, budget=Budget(seconds=0.0), fallback=False)
    assert res.report.stop_reason == TIME_LIMIT
    assert res.report.iterations == 0
    same(g, res.graph)


def test_small_graph_saturates():
    from _engine_rules import only

    import eqsat_tensor as et

    x = et.tensor("x", (3,))
    res = optimize(et.log(1 + x), rules=only("log1p"), fallback=False)
    assert res.report.stop_reason == SATURATED
    assert res.report.stop_reason in STOP_REASONS


def test_ten_thousand_nodes_without_recursion():
    g = random_graph(10_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # nothing may recurse with depth
    try:
        res = optimize(g, rules=RULES, budget=Budget(seconds=2.0), fallback=False)
    finally:
        sys.setrecursionlimit(limit)
    assert not res.report.fallback
    assert len(res.graph) > 1000
    same(g, res.graph)


def test_deep_chain():
    g = chain(3000)
    res = optimize(g, rules=RULES, budget=Budget(iters=3), fallback=False)
    assert res.graph.outputs[0].shape == (3,)
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.999, 1.001, 3) for _ in g.inputs]
    want, got = evaluate(g, arrays), evaluate(res.graph, arrays)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)


def test_literal_one_does_not_explode():
    """`1 * x` puts `1 * 1` (hence `1 ** 2`) in the constant's class; pow-mul and pow-pow
    with x = 1 > 0 used to grow 1 = 1**2 = 1**4 ... until the node limit (63,757
    e-nodes), so the stability and specialize phases never ran."""
    import eqsat_tensor as et

    x = et.tensor("x", shape=("n",))
    y = et.tensor("y", shape=("n",))
    g = et.as_graph([et.sum(x * y + et.sin(x)), 1 * et.cos(x) + 1 * y, 1 * x])
    res = optimize(g)
    assert res.report.stop_reason == SATURATED
    assert res.report.egraph_nodes < 1_000
    assert str(res.graph) == "(sum(x * y + sin(x)), cos(x) + y, x)"
