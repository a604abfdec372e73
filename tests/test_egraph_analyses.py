"""Analysis facts as e-class facts: seeded for the graph, derived by rules for new nodes."""

from __future__ import annotations

import pytest
from egglog.bindings import EggSmolError

import eqsat_tensor as et
from eqsat_tensor.egraph import analyses
from eqsat_tensor.egraph.compiler import compile_rules
from eqsat_tensor.egraph.engine import Session
from eqsat_tensor.ir import Graph
from eqsat_tensor.rulelang.ast import RuleSet


def facts(expr, ieee="finite", seed=True):
    """Session with ``expr`` inserted; returns a checker ``holds(fact, node)``."""
    graph = Graph(expr.node)
    compiled = compile_rules(RuleSet("none"), ieee)
    session = Session(("analysis-test", ieee), compiled)
    session.insert(graph, {}, ieee)
    session.run_analysis()
    index = session.index

    def holds(fact: str, node, _keep=graph) -> bool:  # _keep: nodes are weakly interned
        node = getattr(node, "node", node)
        try:
            session.egraph.run_program(*session.egraph.parse_program(
                f"(check ({fact} (Ref {index[node.uid]})))"))
            return True
        except EggSmolError:
            return False

    return session, holds


def test_sign_facts():
    x, z = et.tensor("x", (3,)), et.tensor("z", (3,))
    e = et.exp(z)
    expr = e * x / e + et.sqrt(et.abs(x)) - et.neg(e) + (e + et.square(x))
    s, holds = facts(expr)
    with s:
        assert holds("positive", e) and holds("nonzero", e) and holds("nonnegative", e)
        assert not holds("nonzero", x)
        assert holds("nonnegative", et.sqrt(et.abs(x)))
        assert holds("negative", et.neg(e))
        assert holds("positive", e + et.square(x))


def test_interval_bounds_give_signs():
    x = et.tensor("x", ())
    inner = et.sigmoid(x) + 1.0
    s, holds = facts(et.log(inner) - (et.tanh(x) - 2.0))
    with s:
        assert holds("positive", inner)
        assert holds("negative", et.tanh(x) - 2.0)
        assert not holds("positive", et.tanh(x))


def test_finite_only_proven_in_strict_mode():
    x = et.tensor("x", ())
    s, holds = facts(et.tanh(x) + et.sigmoid(2.0 + 0 * x), ieee="strict")
    with s:
        assert not holds("finite", x)
        assert holds("finite", et.sigmoid(2.0 + 0 * x).node.inputs[0].inputs[0])


def test_seeded_facts_match_the_rules():
    # The Python seed is a mirror of the egglog rules: without it the rules derive the
    # same facts (level by level).
    x, z = et.tensor("x", (3,)), et.tensor("z", (3,))
    expr = et.exp(z) * x + et.neg(et.sigmoid(x)) - et.abs(x)
    graph = Graph(expr.node)
    seeded = {(f, i) for f, i, v in analyses.seed_facts(graph, "finite") if v is None}
    s, holds = facts(expr)
    with s:
        for k, node in enumerate(graph.nodes()):
            for fact in ("positive", "negative", "nonnegative", "nonpositive", "nonzero"):
                if (fact, k) in seeded:
                    assert holds(fact, node)


@pytest.mark.parametrize("kind", ["types", "sign", "interval", "finite", "constant"])
def test_each_analysis_documents_its_lattice(kind):
    module = getattr(analyses, kind)
    assert "merge" in module.__doc__ and "Lattice" in module.__doc__


def test_increasing_ops_are_anchored_at_zero_on_their_reference():
    """``interval="increasing"`` in the op table: f(a) >= f(0) for a >= 0 and f(a) <= f(0)
    for a <= 0, on the reference, at signed zeros, subnormals, huge values and inf."""
    import numpy as np

    from eqsat_tensor.egraph.analyses.interval import INCREASING
    from eqsat_tensor.ir import OPS

    assert {"exp", "log1p", "tanh"} <= set(INCREASING)
    pos = np.array([0.0, 5e-324, 1e-300, 1e-8, 0.5, 1.0, 3.0, 20.0, 700.0, 1e300, np.inf])
    with np.errstate(all="ignore"):
        for op, f0 in INCREASING.items():
            ref = OPS[op].reference
            up, down = ref(pos), ref(-pos)
            domain = ~np.isnan(down)  # log1p is NaN below -1: no bound is claimed there
            assert np.all(up >= f0), op
            assert np.all(down[domain] <= f0), op
            d = down[domain]
            assert np.all(up[1:] >= up[:-1]) and np.all(d[1:] <= d[:-1]), op


def test_increasing_bounds_in_the_egraph_match_the_mirror():
    from eqsat_tensor.egraph.analyses.interval import graph_bounds

    x = et.tensor("x", (3,))
    e = et.exp(-et.abs(x))          # operand <= 0: exp <= 1
    l1 = et.log1p(et.abs(x))        # operand >= 0: log1p >= 0
    t = et.tanh(et.square(x)) - 2.0  # tanh >= 0 on top of its range: the difference < 0
    bounds = graph_bounds(Graph((e + l1 + t).node))
    assert bounds[e.node.uid] == (0.0, 1.0)
    assert bounds[l1.node.uid][0] == 0.0
    s, holds = facts(e * l1 + t - e)
    with s:
        assert holds("nonnegative", l1) and holds("nonnegative", e)
        assert holds("negative", t)
        assert not holds("positive", l1)  # log1p(|x|) is 0 at x = 0
