"""Budgets hold on large and explosive graphs: the run stops on a limit of the budget,
inside an iteration if need be, and the result is still a valid, equal graph.

Small sizes run in CI; the sizes of issue #22 (10k / 50k nodes, the 600-node explosive
rule set, a 1,000-term sum) are marked ``stress``. No test asserts a wall-clock time: they
count iterations and check sizes and stop reasons (``benchmarks/budget.py`` times them)."""

from __future__ import annotations

import numpy as np
import pytest
from stress_graphs import EXPLOSIVE_RULES, long_sum, small_explosive

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.egraph.budget import (
    ITERATION_LIMIT,
    NODE_LIMIT,
    SATURATED,
    STOP_REASONS,
    TIME_LIMIT,
    Budget,
)
from eqsat_tensor.egraph.pipeline import saturate
from eqsat_tensor.rulelang import default_rules, load_rules
from eqsat_tensor.rulelang.ast import RuleSet
from eqsat_tensor.testing.graphs import random_dag

LIMITS = (ITERATION_LIMIT, NODE_LIMIT, TIME_LIMIT)


def _same(before, after, n=4, lo=0.5, hi=1.5, rtol=1e-6):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(lo, hi, n) for _ in before.inputs]
    with np.errstate(all="ignore"):
        want, got = evaluate(before, arrays, {"n": n}), evaluate(after, arrays, {"n": n})
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, equal_nan=True)


def _explosive_rules() -> RuleSet:
    base = default_rules()
    user = load_rules(EXPLOSIVE_RULES)
    return RuleSet("explosive", base.rules + user.rules, base.vjps, base.files)


@pytest.mark.parametrize("n", [
    1_500,
    pytest.param(10_000, marks=pytest.mark.stress),
    pytest.param(50_000, marks=pytest.mark.stress),
])
def test_random_dag_within_budget(n):
    g = random_dag(n, seed=n)
    budget = Budget(seconds=1.0)
    res = et.optimize(g, budget=budget, fallback=False)
    assert res.report.stop_reason in STOP_REASONS
    assert res.report.iterations <= budget.iters
    _same(g, res.graph)


@pytest.mark.parametrize("n", [150, pytest.param(600, marks=pytest.mark.stress)])
def test_explosive_user_rules_stop_on_a_limit(n):
    g = random_dag(n, seed=7)
    budget = Budget(seconds=1.0)
    res = et.optimize(g, rules=_explosive_rules(), budget=budget, fallback=False)
    assert res.report.stop_reason in LIMITS
    cap = budget.node_cap(len(g))
    assert res.report.egraph_nodes <= 3 * cap  # at most one rule batch past the cap
    _same(g, res.graph)


def test_node_cap_is_checked_inside_an_iteration():
    """The runner stops between rule batches: an iteration cut short by the node cap is
    recorded as interrupted, and the e-graph ends within one batch of the cap."""
    g = random_dag(120, seed=3)
    budget = Budget(nodes=500, seconds=30.0, growth=1e9)
    sat = saturate(g, _explosive_rules(), budget)
    assert sat.log.stop_reason == NODE_LIMIT
    cut = [s for s in sat.log.steps if s.interrupted]
    assert cut and cut[-1].interrupted == NODE_LIMIT
    assert cut[-1].size_after < 3 * 500
    assert sat.log.iterations == len(sat.log.steps)


@pytest.mark.parametrize("seed", range(6))
def test_small_explosive_graphs_stay_under_their_cap(seed):
    g = small_explosive(seed)
    budget = Budget(seconds=1.0)
    res = et.optimize(g, budget=budget, fallback=False)
    assert res.report.stop_reason in STOP_REASONS
    assert res.report.egraph_nodes <= 3 * budget.node_cap(len(g))
    _same(g, res.graph, lo=-1.0, hi=1.0)


@pytest.mark.parametrize("terms", [200, pytest.param(1_000, marks=pytest.mark.stress)])
def test_deep_sum(terms):
    g = long_sum(terms)
    res = et.optimize(g, budget=Budget(seconds=1.0), fallback=False)
    assert res.report.stop_reason in STOP_REASONS
    _same(g, res.graph, n=3, lo=-1.0, hi=1.0)


def test_zero_time_budget_returns_the_input():
    g = random_dag(3_000, seed=1)
    res = et.optimize(g, budget=Budget(seconds=0.0), fallback=False)
    assert res.report.stop_reason == TIME_LIMIT
    assert res.report.iterations == 0
    _same(g, res.graph)


def test_saturating_small_graph_is_unaffected():
    x = et.tensor("x", (3,))
    res = et.optimize(et.log(1 + x), fallback=False)
    assert res.report.stop_reason == SATURATED
    assert str(res.graph) == "log1p(x)"
