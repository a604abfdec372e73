"""``ir/bounds``: the one definition of the interval transfer, read by the e-graph's
interval analysis (its Python mirror) and by the Numba lowering's ``value_bounds``."""

from __future__ import annotations

import math

import eqsat_tensor as et
from eqsat_tensor.backends.numba_lower import in_unit_interval, value_bounds
from eqsat_tensor.egraph.analyses import interval
from eqsat_tensor.ir import Graph, bounds
from eqsat_tensor.ir.bounds import graph_bounds, node_bounds
from eqsat_tensor.testing.graphs import random_dag


def test_the_analysis_and_the_lowering_read_one_transfer():
    assert interval.transfer is bounds.transfer and interval.graph_bounds is graph_bounds
    assert interval.RANGES is bounds.RANGES and interval.INCREASING is bounds.INCREASING


def test_node_bounds_agree_with_graph_bounds_when_deep_enough():
    g = random_dag(120, seed=4)
    whole = graph_bounds(g)
    nodes = list(g.nodes())
    assert any(b != (None, None) for b in whole.values())
    for node in nodes:
        assert node_bounds(node, depth=len(nodes)) == whole[node.uid], node


def test_a_producer_beyond_the_depth_is_unbounded():
    x = et.tensor("x", ("n",))
    s = et.sigmoid(x)
    assert node_bounds(s.node, depth=1) == (0.0, 1.0)
    deep = et.negative(et.negative(s))
    assert node_bounds(deep.node, depth=3) == (0.0, 1.0)
    assert node_bounds(deep.node, depth=2) == (None, None)


def test_the_lowering_bounds_products_selections_and_quotients():
    x, y = et.tensor("x", ("n",)), et.tensor("y", ("n",))
    prod = et.sigmoid(x) * et.sigmoid(y)
    assert value_bounds(prod.node) == (0.0, 1.0) and in_unit_interval(prod.node)
    sel = et.where(x > 0.0, et.sigmoid(y), 0.25)
    assert in_unit_interval(sel.node)
    half = et.sigmoid(x) / 2.0
    assert value_bounds(half.node) == (0.0, 0.5)
    lo, hi = value_bounds((et.sigmoid(x) * y).node)
    assert (lo, hi) == (-math.inf, math.inf)


def test_bounds_of_a_shifted_softmax_numerator():
    x = et.tensor("x", (3, 4))
    shifted = x - et.max(x, axis=1, keepdims=True)
    e = et.exp(shifted)
    assert graph_bounds(Graph([e.node], [x.node]))[e.node.uid] == (0.0, 1.0)
    assert value_bounds(e.node) == (0.0, 1.0)
